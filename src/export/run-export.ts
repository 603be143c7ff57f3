// `trawl export`: publishes each export definition as static JSON. Order matters for readers:
//   1. content-addressed copies of changed objects (unnamed until a manifest names them);
//   2. the page's static files and v1/openapi.json;
//   3. stable aliases of changed objects, copied from their content-addressed copies;
//   4. v1/manifests/<generation>.json, then v1/manifest.json: the switch to the new generation;
//   5. stable keys of objects the new manifest no longer names are deleted.
// A failure (or a kill) before step 3 leaves readers on the previous generation untouched. An object
// whose data did not change keeps its updated_at, hence its bytes, and is not uploaded again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from '../db/database.ts';
import { LOCK } from '../db/locks.ts';
import type { Clock } from '../lib/clock.ts';
import { messageOf } from '../lib/errors.ts';
import { failpoint } from '../lib/failpoint.ts';
import { tightenHeap } from '../lib/tight-heap.ts';
import { createLimiter } from '../lib/limiter.ts';
import type { Logger } from '../lib/logger.ts';
import { startProgress } from '../lib/progress.ts';
import { closeRun, failRun, openRun } from '../ops/runs.ts';
import { fillPath, loadExportDefinitions, type ExportDefinition } from './export-definition.ts';
import { buildOpenApi, type ColumnTypes } from './openapi.ts';
import type { ExportTarget } from './targets.ts';

export const MANIFEST_KEY = 'v1/manifest.json';
export const SITE_DIR = path.resolve(import.meta.dirname, 'site');
const JSON_TYPE = 'application/json; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const UPLOAD_CONCURRENCY = 16;
const SITE_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

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
  /** The ETL watermark this generation reflects; the next changes feed starts after it. */
  watermark: number;
  /** The watermark v1/changes/latest.json starts after. */
  changes_since: number;
  /**
   * Staging versions up to `watermark`, and up to `changes_since`. Counts, unlike ids, survive a
   * rebuild (`trawl rebuild` replays the same files in the same order into new ids), so the next
   * export finds the same feed baseline in a rebuilt database.
   */
  versions?: number;
  changes_since_versions?: number;
  files: Record<string, ManifestFile>;
  /** sha256 of the page's files and openapi.json at their stable keys. */
  assets: Record<string, string>;
}

/** The id of the n-th staging version (0 for none): where a feed baseline counted in versions starts. */
async function versionIdAt(client: PoolClient, n: number): Promise<number> {
  if (n <= 0) return 0;
  const { rows } = await client.query<{ id: number }>('SELECT id FROM staging.versions ORDER BY id OFFSET $1 LIMIT 1', [n - 1]);
  return rows[0]?.id ?? 0;
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
  tightenHeap();
  const runId = await openRun(opts.database.db, 'export', opts.spider ?? null, opts.pipelineId ?? null);
  const client = await opts.database.pool.connect();
  const progress = startProgress({ label: 'export', log: opts.log });
  try {
    await opts.target.check();
    await client.query('SELECT pg_advisory_lock($1)', [LOCK.export]);
    const now = opts.clock.now();
    const generation = `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${crypto.randomBytes(3).toString('hex')}`;
    const previous = await readManifest(opts.target);
    const { rows } = await client.query<{ watermark: number }>('SELECT watermark FROM ops.etl_state');
    const manifest: Manifest = { generation, generated_at: now.toISOString(), watermark: Number(rows[0]!.watermark), changes_since: 0, files: {}, assets: {} };
    const stableCache = `public, max-age=${opts.cacheMaxAge}`;
    const aliases: [string, string][] = [];
    const uploads = createLimiter(UPLOAD_CONCURRENCY);
    let unchanged = 0;
    let objects = 0;

    const publish = async (objectPath: string, rowsJson: string[]) => {
      const data = `[${rowsJson.join(',')}]`;
      const dataSha = sha256(data);
      const prev = previous?.files[objectPath];
      const updatedAt = prev?.data_sha256 === dataSha ? prev.updated_at : now.toISOString();
      const body = `{"updated_at":${JSON.stringify(updatedAt)},"count":${rowsJson.length},"data":${data}}\n`;
      const sha = sha256(body);
      const key = objectPath.replace(/\.json$/, `.${sha.slice(0, 16)}.json`);
      manifest.files[objectPath] = { key, size: Buffer.byteLength(body), sha256: sha, data_sha256: dataSha, count: rowsJson.length, updated_at: updatedAt };
      objects++;
      if (prev?.key === key) {
        unchanged++;
        return;
      }
      aliases.push([key, objectPath]);
      await uploads.run(async () => {
        await opts.target.put(key, body, { contentType: JSON_TYPE, cacheControl: IMMUTABLE });
        failpoint('export.copy');
      });
      // A counter: Object.keys(manifest.files) here made an export quadratic in its objects.
      progress.update({ objects, uploaded: aliases.length });
    };

    const defs = opts.definitions ?? loadExportDefinitions();
    const types: ColumnTypes = {};
    // The feed holds the changes of the latest generation that brought any: a generation with no new
    // data keeps the previous feed (and its bytes), so re-runs change nothing.
    const counted = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM staging.versions WHERE id <= $1', [manifest.watermark]);
    manifest.versions = counted.rows[0]!.n;
    // The first generation has no previous one to change from: its feed is empty (not all of history,
    // which would also be one object as big as the whole price history).
    const baseVersions = !previous
      ? manifest.versions
      : previous.versions === manifest.versions
        ? (previous.changes_since_versions ?? 0)
        : (previous.versions ?? 0);
    const since = await versionIdAt(client, baseVersions);
    manifest.changes_since = since;
    manifest.changes_since_versions = baseVersions;
    for (const def of defs) {
      try {
        types[def.name] = await exportDefinition(client, def, def.sincePrevious ? [since] : [], publish);
      } catch (err) {
        throw new Error(`export ${def.file}: ${messageOf(err)}`, { cause: err });
      }
    }

    await uploads.drain();

    // The page and the API description live beside the data, at stable keys.
    const assets: [string, string, string][] = fs
      .readdirSync(SITE_DIR)
      .map((f) => [f, fs.readFileSync(path.join(SITE_DIR, f), 'utf8'), SITE_TYPES[path.extname(f)] ?? 'application/octet-stream']);
    assets.push(['v1/openapi.json', `${JSON.stringify(buildOpenApi(defs, types), null, 1)}\n`, JSON_TYPE]);
    for (const [key, body, contentType] of assets) {
      manifest.assets[key] = sha256(body);
      if (previous?.assets?.[key] !== manifest.assets[key]) await opts.target.put(key, body, { contentType, cacheControl: stableCache });
    }

    failpoint('export.before-aliases');
    for (const [key, objectPath] of aliases) {
      await uploads.run(async () => {
        await opts.target.copy(key, objectPath, { contentType: JSON_TYPE, cacheControl: stableCache });
        failpoint('export.alias');
      });
    }
    await uploads.drain();

    failpoint('export.before-manifest');
    // Compact: with 100,000 objects an indented manifest is a third bigger, in memory and on the wire.
    const manifestBody = `${JSON.stringify(manifest)}\n`;
    await opts.target.put(`v1/manifests/${generation}.json`, manifestBody, { contentType: JSON_TYPE, cacheControl: IMMUTABLE });
    failpoint('export.after-generation-manifest');
    await opts.target.put(MANIFEST_KEY, manifestBody, { contentType: JSON_TYPE, cacheControl: stableCache });

    // Only now that no manifest names them do stable keys of vanished objects go.
    failpoint('export.before-delete');
    const gone = Object.keys(previous?.files ?? {}).filter((p) => !manifest.files[p]);
    await opts.target.delete(gone);

    const result: ExportResult = {
      generation,
      objects,
      uploaded: aliases.length,
      unchanged,
      removed: gone.length,
      durationMs: Date.now() - started,
    };
    await closeRun(opts.database.db, runId, 'ok', { records: result.objects, new_versions: result.uploaded, unchanged, message: `generation ${generation}` });
    return result;
  } catch (err) {
    await failRun(opts.database.db, runId, { message: messageOf(err) });
    throw err;
  } finally {
    progress.done();
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK.export]).catch(() => undefined);
    client.release();
  }
}

/**
 * Streams one query with a cursor (bounded memory), checks its columns against the definition, and
 * cuts rows into objects by the path's parameters. Returns the columns' type OIDs.
 */
async function exportDefinition(
  client: PoolClient,
  def: ExportDefinition,
  values: unknown[],
  publish: (objectPath: string, rows: string[]) => Promise<void>,
): Promise<Record<string, number>> {
  const cursor = client.query(new Cursor(def.sql, values));
  const read = (n: number) =>
    new Promise<{ rows: Record<string, unknown>[]; fields: { name: string; dataTypeID: number }[] }>((resolve, reject) =>
      cursor.read(n, (err, rows, result) => (err ? reject(err) : resolve({ rows, fields: result?.fields ?? [] }))),
    );
  const seen = new Set<string>();
  let currentPath: string | undefined = def.params.length === 0 ? def.pathTemplate : undefined;
  let rows: string[] = [];
  let types: Record<string, number> | undefined;
  try {
    for (let batch = await read(1000); ; batch = await read(1000)) {
      if (!types) {
        const got = batch.fields.map((f) => f.name);
        const want = def.columns.map((c) => c.name);
        if (got.join(',') !== want.join(',')) throw new Error(`the query returns columns [${got.join(', ')}] but its shape allows [${want.join(', ')}]`);
        types = Object.fromEntries(batch.fields.map((f) => [f.name, f.dataTypeID]));
      }
      if (batch.rows.length === 0) break;
      for (const row of batch.rows) {
        for (const c of def.columns) {
          if (!c.nullable && row[c.name] === null) throw new Error(`column ${c.name} is null but its shape says it never is`);
        }
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
  return types ?? {};
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
