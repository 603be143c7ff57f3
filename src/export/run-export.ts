// `trawl export`: publishes each export definition as static JSON. Order matters for readers:
//   1. content-addressed copies of changed objects (unnamed until a manifest names them);
//   2. the page's static files and v1/openapi.json;
//   3. stable aliases of changed objects, copied from their content-addressed copies;
//   4. v1/manifests/<generation>.json, then v1/manifest.json: the switch to the new generation, then
//      v1/status.json, the small pointer the public page reads (the manifest names every object);
//   5. stable keys of objects the new manifest no longer names are deleted.
// A failure (or a kill) before step 3 leaves readers on the previous generation untouched. An object
// whose data did not change keeps its updated_at, hence its bytes, and is not uploaded again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { closeRun, type Database, failRun, inReadSnapshot, LOCK, openRun, sqlQuery, takeLockPatiently, unlock } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { messageOf, UserError } from '../lib/errors.ts';
import { makeTempFolder, sweepStaleTempFolders } from '../lib/temp-folder.ts';
import { failpoint } from '../lib/failpoint.ts';
import { tightenHeap } from '../lib/tight-heap.ts';
import { createLimiter } from '../lib/limiter.ts';
import type { Logger } from '../lib/logger.ts';
import { startProgress } from '../lib/progress.ts';
import { readLines } from '../raw/index.ts';
import { type ExportDefinition, fillPath, loadExportDefinitions } from './export-definition.ts';
import { BULK_HISTORY_PATH, writeBulkHistory } from './bulk-history.ts';
import { MANIFEST_KEY, type ManifestHeader, ManifestWriter, type PreviousManifest, readManifest } from './manifest.ts';
import { type Finishable, ObjectBody } from './object-body.ts';
import { contentKey, contentTypeOf } from './object-path.ts';
import type { ColumnTypes } from './openapi.ts';
import { setFeedBaseline } from './feed-baseline.ts';
import { publishFeeds } from './publish-feeds.ts';
import { publishSiteAssets } from './site-assets.ts';
import { SpillFile } from './spill-file.ts';
import type { ExportTarget } from './targets.ts';

const Q = (name: string) => sqlQuery('export/run-export.sql', name);

const JSON_TYPE = 'application/json; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const UPLOAD_CONCURRENCY = 16;
/** What the public page reads for the generation: a few bytes, where the manifest is megabytes. */
const STATUS_KEY = 'v1/status.json';

export type { Manifest, ManifestFile } from './manifest.ts';

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
  /**
   * A generation that would remove more than this share of the previous one's objects is refused
   * (an empty or wrong database must not unpublish everything); `allowShrink` publishes it anyway.
   */
  maxShrinkShare?: number;
  /** Stops the export within seconds, before the manifest: the published generation stays as it was. */
  signal?: AbortSignal;
  allowShrink?: boolean;
  /** v1/feeds/drops.atom lists drops of at least this share of the price before (default 0.2). */
  feedDropMinShare?: number;
}

export interface ExportResult {
  generation: string;
  objects: number;
  uploaded: number;
  unchanged: number;
  removed: number;
  durationMs: number;
}

/**
 * Publishes every export definition over the marts as a new generation, manifest last; refuses one
 * that would unpublish most of what is public.
 *
 * @example
 * const r = await runExport({ database, target: openTarget(config), clock: systemClock, log, cacheMaxAge: 300 });
 * // r.generation, r.objects, r.uploaded, r.removed
 */
export async function runExport(opts: ExportOptions): Promise<ExportResult> {
  const started = Date.now();
  tightenHeap();
  const runId = await openRun(opts.database.db, 'export', opts.spider ?? null, opts.pipelineId ?? null);
  const client = await opts.database.pool.connect();
  const progress = startProgress({ label: 'export', log: opts.log });
  // Big list bodies, the new manifest and the aliases to write wait here, not in memory.
  sweepStaleTempFolders('export', opts.log);
  const tmpDir = makeTempFolder('export');
  const files = new ManifestWriter(tmpDir);
  const aliases = new AliasList(tmpDir);
  try {
    await opts.target.check();
    await takeLockPatiently(client, LOCK.export, { what: 'the export lock (another export runs)', log: opts.log, signal: opts.signal });
    const now = opts.clock.now();
    const generation = `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${crypto.randomBytes(3).toString('hex')}`;
    const previous = await readManifest(opts.target);
    const manifest: ManifestHeader = { generation, generated_at: now.toISOString(), watermark: 0, changes_since: 0, assets: {} };
    const stableCache = `public, max-age=${opts.cacheMaxAge}`;
    const uploads = createLimiter(UPLOAD_CONCURRENCY);
    const publisher = objectPublisher({ target: opts.target, previous, files, aliases, uploads, now, progress, signal: opts.signal });

    const defs = opts.definitions ?? loadExportDefinitions();
    const types: ColumnTypes = {};
    const before = previous?.header;
    // The watermark and every object from one snapshot: an ETL committing meanwhile cannot put a price
    // in one object that another, or the manifest's watermark, does not know yet.
    await inReadSnapshot(client, async () => {
      const { rows } = await client.query<{ watermark: number }>(Q('watermark'));
      manifest.watermark = Number(rows[0]!.watermark);
      const since = await setFeedBaseline(client, manifest, before);
      for (const def of defs) {
        try {
          types[def.name] = await exportDefinition(client, def, def.sincePrevious ? [since] : [], tmpDir, files, publisher.publish);
        } catch (err) {
          throw new Error(`export ${def.file}: ${messageOf(err)}`, { cause: err });
        }
      }
      await publishFeeds(client, publisher.publish, { dropMinShare: opts.feedDropMinShare ?? 0.2, generatedAt: manifest.generated_at });
      await publisher.publish(BULK_HISTORY_PATH, await writeBulkHistory(client, tmpDir));
    });

    await uploads.drain();

    // The page and the API description live beside the data, at stable keys.
    await publishSiteAssets(opts.target, { definitions: defs, types }, manifest, before, stableCache);

    // Nothing readers see has changed yet (content-addressed copies only): a generation that would
    // unpublish most of what is public stops here, before any alias or manifest.
    const gone = [...(previous?.files.keys() ?? [])].filter((p) => !files.has(p));
    refuseShrink(gone.length, previous?.files.size ?? 0, files.size, opts);
    await switchGeneration(opts.target, { aliases, files, manifest, gone, uploads, stableCache });

    const result: ExportResult = {
      generation,
      objects: files.size,
      uploaded: aliases.size,
      unchanged: publisher.unchanged(),
      removed: gone.length,
      durationMs: Date.now() - started,
    };
    await closeRun(opts.database.db, runId, 'ok', { records: result.objects, new_versions: result.uploaded, unchanged: result.unchanged, message: `generation ${generation}` });
    return result;
  } catch (err) {
    await failRun(opts.database.db, runId, { message: messageOf(err) });
    throw err;
  } finally {
    progress.done();
    await unlock(client, LOCK.export).catch(() => undefined);
    client.release();
    files.close();
    aliases.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

/**
 * What publishes one object: recorded in the new manifest, and uploaded under its content-addressed
 * key unless the previous generation holds the same bytes. An object whose data did not change keeps
 * its updated_at, hence its bytes.
 */
function objectPublisher(p: {
  target: ExportTarget;
  previous: PreviousManifest | undefined;
  files: ManifestWriter;
  aliases: AliasList;
  uploads: ReturnType<typeof createLimiter>;
  now: Date;
  progress: ReturnType<typeof startProgress>;
  signal: AbortSignal | undefined;
}) {
  let unchanged = 0;
  const publish = async (objectPath: string, object: Finishable) => {
    if (p.signal?.aborted) throw new Error(`export stopped before its manifest (the published generation is unchanged): ${messageOf(p.signal.reason)}`);
    const prev = p.previous?.files.get(objectPath);
    const done = object.finish((dataSha) => (prev?.data_sha256 === dataSha ? prev.updated_at : p.now.toISOString()));
    const key = contentKey(objectPath, done.sha256);
    p.files.add(objectPath, { key, size: done.size, sha256: done.sha256, data_sha256: done.dataSha256, count: done.count, updated_at: done.updatedAt });
    if (prev?.key === key) {
      unchanged++;
      if (typeof done.body !== 'string') fs.rmSync(done.body.file);
      return;
    }
    p.aliases.add(key, objectPath);
    await p.uploads.run(async () => {
      await p.target.put(key, done.body, { contentType: contentTypeOf(objectPath), cacheControl: IMMUTABLE });
      if (typeof done.body !== 'string') fs.rmSync(done.body.file);
      failpoint('export.copy');
    });
    // Counters: Object.keys(manifest.files) here once made an export quadratic in its objects.
    p.progress.update({ objects: p.files.size, uploaded: p.aliases.size });
  };
  return { publish, unchanged: () => unchanged };
}

/** Steps 3 to 5: the stable aliases, the manifests (the switch), then the keys no manifest names. */
async function switchGeneration(
  target: ExportTarget,
  g: { aliases: AliasList; files: ManifestWriter; manifest: ManifestHeader; gone: string[]; uploads: ReturnType<typeof createLimiter>; stableCache: string },
): Promise<void> {
  failpoint('export.before-aliases');
  for await (const [key, objectPath] of g.aliases.entries()) {
    await g.uploads.run(async () => {
      await target.copy(key, objectPath, { contentType: contentTypeOf(objectPath), cacheControl: g.stableCache });
      failpoint('export.alias');
    });
  }
  await g.uploads.drain();

  failpoint('export.before-manifest');
  const manifestBody = { file: g.files.finish(g.manifest) };
  await target.put(`v1/manifests/${g.manifest.generation}.json`, manifestBody, { contentType: JSON_TYPE, cacheControl: IMMUTABLE });
  failpoint('export.after-generation-manifest');
  await target.put(MANIFEST_KEY, manifestBody, { contentType: JSON_TYPE, cacheControl: g.stableCache });
  const status = { generation: g.manifest.generation, generated_at: g.manifest.generated_at, manifest: `v1/manifests/${g.manifest.generation}.json` };
  await target.put(STATUS_KEY, `${JSON.stringify(status)}\n`, { contentType: JSON_TYPE, cacheControl: g.stableCache });

  // Only now that no manifest names them do stable keys of vanished objects go.
  failpoint('export.before-delete');
  await target.delete(g.gone);
}

/** Throws when a generation would unpublish more than the allowed share of what is published. */
function refuseShrink(gone: number, published: number, kept: number, opts: Pick<ExportOptions, 'allowShrink' | 'maxShrinkShare'>): void {
  const share = opts.maxShrinkShare ?? 0.5;
  if (opts.allowShrink || published === 0 || (kept > 0 && gone <= published * share)) return;
  throw new UserError(
    `export refused: this generation would remove ${gone} of the ${published} published objects (more than ${Math.round(share * 100)}%, EXPORT_MAX_SHRINK_SHARE); check the database, or publish it with --allow-shrink`,
  );
}

/**
 * Streams one query with a cursor (bounded memory), checks its columns against the definition, and
 * cuts rows into objects by the path's parameters. Returns the columns' type OIDs.
 */
async function exportDefinition(
  client: PoolClient,
  def: ExportDefinition,
  values: unknown[],
  tmpDir: string,
  files: ManifestWriter,
  publish: (objectPath: string, object: ObjectBody) => Promise<void>,
): Promise<Record<string, number>> {
  const cursor = client.query(new Cursor(def.sql, values));
  const read = (n: number) =>
    new Promise<{ rows: Record<string, unknown>[]; fields: { name: string; dataTypeID: number }[] }>((resolve, reject) =>
      cursor.read(n, (err, rows, result) => (err ? reject(err) : resolve({ rows, fields: result?.fields ?? [] }))),
    );
  const open = (objectPath: string) => {
    if (files.has(objectPath)) throw new Error(`rows are not ordered by ${def.params.join(', ')}, or another export wrote it (${objectPath} came back)`);
    // A spilled body waits in its file while it uploads: every object gets a file name of its own.
    return new ObjectBody(tmpDir, `${def.name}-${files.size}`);
  };
  let currentPath: string | undefined = def.params.length === 0 ? def.pathTemplate : undefined;
  let object = currentPath ? open(currentPath) : undefined;
  let types: Record<string, number> | undefined;
  try {
    for (let batch = await read(def.rowsPerRead); ; batch = await read(def.rowsPerRead)) {
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
            if (currentPath) await publish(currentPath, object!);
            object = open(objectPath);
            currentPath = objectPath;
          }
        }
        object!.add(JSON.stringify(row));
      }
    }
    if (currentPath) await publish(currentPath, object!);
  } catch (err) {
    object?.discard();
    throw err;
  } finally {
    await cursor.close();
  }
  return types ?? {};
}

/** Content-addressed keys and the stable keys to copy them to, kept in a file until the alias step. */
class AliasList {
  private readonly spill: SpillFile;
  size = 0;

  constructor(tmpDir: string) {
    this.spill = new SpillFile(path.join(tmpDir, 'aliases.tsv'));
  }

  add(key: string, objectPath: string): void {
    this.spill.append(`${key}\t${objectPath}\n`);
    this.size++;
  }

  close(): void {
    this.spill.close();
  }

  async *entries(): AsyncGenerator<[string, string]> {
    this.spill.close();
    for await (const { text } of readLines(this.spill.file)) {
      const tab = text.indexOf('\t');
      yield [text.slice(0, tab), text.slice(tab + 1)];
    }
  }
}
