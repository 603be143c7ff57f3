// `trawl export`: publishes each export definition as static JSON. Order matters for readers:
// content-addressed copies first, then stable aliases, then the manifest (generation copy, then
// v1/manifest.json last). An object whose data did not change keeps its bytes and is not uploaded.
import crypto from 'node:crypto';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from '../db/database.ts';
import { LOCK } from '../db/locks.ts';
import type { Clock } from '../lib/clock.ts';
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { startProgress } from '../lib/progress.ts';
import { closeRun, openRun } from '../ops/runs.ts';
import { fillPath, loadExportDefinitions, type ExportDefinition } from './export-definition.ts';
import type { ExportTarget } from './targets.ts';

export const MANIFEST_KEY = 'v1/manifest.json';
const JSON_TYPE = 'application/json; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface ManifestFile {
  /** The content-addressed key holding this generation's bytes. */
  key: string;
  size: number;
  sha256: string;
  /** Hash of the data alone: equal data keeps the previous updated_at, hence the same bytes. */
  data_sha256: string;
  count: number;
  updated_at: string;
}

export interface Manifest {
  generation: string;
  generated_at: string;
  files: Record<string, ManifestFile>;
}

export interface ExportOptions {
  database: Database;
  target: ExportTarget;
  clock: Clock;
  log: Logger;
  /** Cache-Control max-age of stable keys. */
  cacheMaxAge: number;
  definitions?: ExportDefinition[];
  pipelineId?: string | null;
  spider?: string | null;
}

export interface ExportResult {
  generation: string;
  objects: number;
  uploaded: number;
  unchanged: number;
  removed: number;
  durationMs: number;
}

export async function runExport(opts: ExportOptions): Promise<ExportResult> {
  const started = Date.now();
  const runId = await openRun(opts.database.db, 'export', opts.spider ?? null, opts.pipelineId ?? null);
  const client = await opts.database.pool.connect();
  const progress = startProgress({ label: 'export', log: opts.log });
  try {
    await opts.target.check();
    await client.query('SELECT pg_advisory_lock($1)', [LOCK.export]);
    const now = opts.clock.now();
    const generation = `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${crypto.randomBytes(3).toString('hex')}`;
    const previous = await readManifest(opts.target);
    const manifest: Manifest = { generation, generated_at: now.toISOString(), files: {} };
    const stableCache = `public, max-age=${opts.cacheMaxAge}`;
    let uploaded = 0;
    let unchanged = 0;

    const publish = async (objectPath: string, rows: string[]) => {
      const data = `[${rows.join(',')}]`;
      const dataSha = sha256(data);
      const prev = previous?.files[objectPath];
      const updatedAt = prev?.data_sha256 === dataSha ? prev.updated_at : now.toISOString();
      const body = `{"updated_at":${JSON.stringify(updatedAt)},"count":${rows.length},"data":${data}}\n`;
      const sha = sha256(body);
      const key = objectPath.replace(/\.json$/, `.${sha.slice(0, 16)}.json`);
      manifest.files[objectPath] = { key, size: Buffer.byteLength(body), sha256: sha, data_sha256: dataSha, count: rows.length, updated_at: updatedAt };
      if (prev?.key === key) {
        unchanged++;
        return;
      }
      await opts.target.put(key, body, { contentType: JSON_TYPE, cacheControl: IMMUTABLE });
      await opts.target.put(objectPath, body, { contentType: JSON_TYPE, cacheControl: stableCache });
      uploaded++;
      progress.update({ objects: Object.keys(manifest.files).length, uploaded });
    };

    for (const def of opts.definitions ?? loadExportDefinitions()) {
      await exportDefinition(client, def, publish).catch((err: unknown) => {
        throw new Error(`export ${def.file}: ${messageOf(err)}`, { cause: err });
      });
    }

    const manifestBody = `${JSON.stringify(manifest, null, 1)}\n`;
    await opts.target.put(`v1/manifests/${generation}.json`, manifestBody, { contentType: JSON_TYPE, cacheControl: IMMUTABLE });
    await opts.target.put(MANIFEST_KEY, manifestBody, { contentType: JSON_TYPE, cacheControl: stableCache });

    // Only now that no manifest names them do stable keys of vanished objects go.
    const gone = Object.keys(previous?.files ?? {}).filter((p) => !manifest.files[p]);
    await opts.target.delete(gone);

    const result: ExportResult = {
      generation,
      objects: Object.keys(manifest.files).length,
      uploaded,
      unchanged,
      removed: gone.length,
      durationMs: Date.now() - started,
    };
    await closeRun(opts.database.db, runId, 'ok', { records: result.objects, new_versions: uploaded, unchanged, message: `generation ${generation}` });
    return result;
  } catch (err) {
    await closeRun(opts.database.db, runId, 'failed', { message: messageOf(err) });
    throw err;
  } finally {
    progress.done();
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK.export]).catch(() => undefined);
    client.release();
  }
}

/** Streams one query with a cursor, cutting rows into objects by the path's parameters. */
async function exportDefinition(
  client: PoolClient,
  def: ExportDefinition,
  publish: (objectPath: string, rows: string[]) => Promise<void>,
): Promise<void> {
  const cursor = client.query(new Cursor(def.sql));
  const seen = new Set<string>();
  let currentPath: string | undefined = def.params.length === 0 ? def.pathTemplate : undefined;
  let rows: string[] = [];
  try {
    for (let batch = await cursor.read(1000); batch.length > 0; batch = await cursor.read(1000)) {
      for (const row of batch as Record<string, unknown>[]) {
        if (def.params.length > 0) {
          const objectPath = fillPath(def.pathTemplate, row);
          if (objectPath !== currentPath) {
            if (currentPath) await publish(currentPath, rows);
            if (seen.has(objectPath)) throw new Error(`rows are not ordered by ${def.params.join(', ')} (${objectPath} came back)`);
            seen.add(objectPath);
            currentPath = objectPath;
            rows = [];
          }
        }
        rows.push(JSON.stringify(row));
      }
    }
  } finally {
    await cursor.close();
  }
  if (currentPath) await publish(currentPath, rows);
}

export async function readManifest(target: ExportTarget): Promise<Manifest | undefined> {
  const body = await target.get(MANIFEST_KEY);
  if (!body) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as Manifest;
  } catch (cause) {
    throw new Error(`${target.describe()}/${MANIFEST_KEY} is not valid JSON`, { cause });
  }
}

function sha256(s: string): string {
  return crypto.hash('sha256', s, 'hex');
}
