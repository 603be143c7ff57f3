// `trawl export --lake` (or LAKE_TARGET): the core model and the price history as Parquet files for
// analytical engines (DuckDB, Athena, Trino, Spark), Hive-style partitioned:
//   prices/store=steam/region=us/part-<hash>.parquet, games/part-<hash>.parquet, …, manifest.json last.
// Each partition's rows stream from a cursor into DuckDB and out as one file named by the hash of its
// data: a partition whose data did not change keeps its file and is not written again. Files that the
// new manifest no longer names are deleted after it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { closeRun, type Database, failRun, inReadSnapshot, LOCK, openRun, takeLockPatiently, unlock } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { startProgress } from '../lib/progress.ts';
import { makeTempFolder, sweepStaleTempFolders } from '../lib/temp-folder.ts';
import { type LakeDefinition, loadLakeDefinitions } from './lake-definition.ts';
import { ParquetWriter } from './parquet-writer.ts';
import type { ExportTarget } from './targets.ts';

const LAKE_MANIFEST_KEY = 'manifest.json';
const PARQUET_TYPE = 'application/vnd.apache.parquet';
const BATCH = 5000;

export interface LakeFile {
  key: string;
  /** The partition's column values, e.g. {store: 'steam', region: 'us'}; {} for an unpartitioned table. */
  partition: Record<string, string>;
  rows: number;
  size: number;
  data_sha256: string;
}

export interface LakeManifest {
  generated_at: string;
  tables: Record<string, { description: string; partition_by: string[]; columns: { name: string; type: string }[]; files: LakeFile[] }>;
}

export interface LakeResult {
  files: number;
  written: number;
  unchanged: number;
  removed: number;
  rows: Record<string, number>;
  durationMs: number;
}

export interface LakeOptions {
  database: Database;
  target: ExportTarget;
  clock: Clock;
  log: Logger;
  definitions?: LakeDefinition[];
  signal?: AbortSignal;
  pipelineId?: string | null;
}

/** A Hive folder segment: `store=steam`; a value a path cannot hold is %-escaped, as Hive does. */
function hiveSegment(column: string, value: string | null): string {
  const v = value === null ? '__HIVE_DEFAULT_PARTITION__' : value;
  return `${column}=${v.replace(/[^A-Za-z0-9_.-]/g, (c) => encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`))}`;
}

/**
 * Writes every lake table to the target, partition by partition, and its manifest last.
 *
 * @example
 * const r = await runLakeExport({ database, target: openTarget(config, 'LAKE_TARGET'), clock: systemClock, log });
 */
export async function runLakeExport(opts: LakeOptions): Promise<LakeResult> {
  const started = Date.now();
  const runId = await openRun(opts.database.db, 'lake', null, opts.pipelineId ?? null);
  const client = await opts.database.pool.connect();
  sweepStaleTempFolders('lake', opts.log);
  const tmpDir = makeTempFolder('lake');
  const progress = startProgress({ label: 'lake', log: opts.log });
  let writer: ParquetWriter | undefined;
  try {
    await opts.target.check();
    await takeLockPatiently(client, LOCK.lake, { what: 'the lake lock (another lake export runs)', log: opts.log, signal: opts.signal });
    const previous = await readLakeManifest(opts.target);
    const before = new Map<string, LakeFile>(Object.values(previous?.tables ?? {}).flatMap((t) => t.files.map((f) => [f.key, f] as const)));
    const manifest: LakeManifest = { generated_at: opts.clock.now().toISOString(), tables: {} };
    const result: LakeResult = { files: 0, written: 0, unchanged: 0, removed: 0, rows: {}, durationMs: 0 };
    writer = await ParquetWriter.open(tmpDir);
    // Every table from one snapshot: an ETL committing meanwhile cannot leave prices naming a listing
    // the listings table lacks.
    await inReadSnapshot(client, async () => {
      for (const def of opts.definitions ?? loadLakeDefinitions()) {
        try {
          const files = await writeTable(client, writer!, def, { target: opts.target, before, tmpDir, signal: opts.signal }, (f, written) => {
            result.files++;
            result.rows[def.table] = (result.rows[def.table] ?? 0) + f.rows;
            if (written) result.written++;
            else result.unchanged++;
            progress.update({ files: result.files, written: result.written });
          });
          manifest.tables[def.table] = { description: def.description, partition_by: def.partitionBy, columns: def.columns, files };
        } catch (err) {
          throw new Error(`lake ${def.file}: ${messageOf(err)}`, { cause: err });
        }
      }
    });
    await opts.target.put(LAKE_MANIFEST_KEY, `${JSON.stringify(manifest, null, 1)}\n`, { contentType: 'application/json; charset=utf-8', cacheControl: 'no-cache' });
    const named = new Set(Object.values(manifest.tables).flatMap((t) => t.files.map((f) => f.key)));
    const gone = [...before.keys()].filter((k) => !named.has(k));
    await opts.target.delete(gone);
    result.removed = gone.length;
    result.durationMs = Date.now() - started;
    await closeRun(opts.database.db, runId, 'ok', { records: Object.values(result.rows).reduce((a, b) => a + b, 0), new_versions: result.written, unchanged: result.unchanged, message: `${result.files} Parquet file(s), ${result.written} written` });
    return result;
  } catch (err) {
    await failRun(opts.database.db, runId, { message: messageOf(err) });
    throw err;
  } finally {
    progress.done();
    writer?.close();
    await unlock(client, LOCK.lake).catch(() => undefined);
    client.release();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

/**
 * Streams one table's query, cutting its rows into partitions (they arrive ordered by the partition
 * columns); writes each partition whose data hash is not already published.
 */
async function writeTable(
  client: PoolClient,
  writer: ParquetWriter,
  def: LakeDefinition,
  ctx: { target: ExportTarget; before: Map<string, LakeFile>; tmpDir: string; signal: AbortSignal | undefined },
  done: (f: LakeFile, written: boolean) => void,
): Promise<LakeFile[]> {
  const width = def.partitionBy.length;
  const fileColumns = def.columns.slice(width);
  await writer.begin(fileColumns);
  // Postgres's own text for every value: exact (microseconds, 64-bit integers), cast by DuckDB.
  const cursor = client.query(new Cursor(def.sql, [], { types: { getTypeParser: () => (v: string) => v } }));
  const read = () =>
    new Promise<{ rows: Record<string, string | null>[]; fields: string[] }>((resolve, reject) =>
      cursor.read(BATCH, (err, rows, result) => (err ? reject(err) : resolve({ rows, fields: (result?.fields ?? []).map((f) => f.name) }))),
    );
  const files: LakeFile[] = [];
  const seen = new Set<string>();
  let part: { values: (string | null)[]; hash: crypto.Hash; rows: number } | undefined;

  const finish = async () => {
    if (!part) return;
    const data = part.hash.digest('hex');
    const folder = [def.table, ...def.partitionBy.map((c, i) => hiveSegment(c, part!.values[i]!))].join('/');
    const key = `${folder}/part-${data.slice(0, 16)}.parquet`;
    const partition = Object.fromEntries(def.partitionBy.map((c, i) => [c, part!.values[i] ?? '__HIVE_DEFAULT_PARTITION__']));
    const published = ctx.before.get(key);
    if (published) {
      await writer.discard();
      files.push(published);
      done(published, false);
    } else {
      const file = path.join(ctx.tmpDir, 'part.parquet');
      await writer.write(file, fileColumns);
      const f: LakeFile = { key, partition, rows: part.rows, size: fs.statSync(file).size, data_sha256: data };
      await ctx.target.put(key, { file }, { contentType: PARQUET_TYPE, cacheControl: 'public, max-age=31536000, immutable' });
      fs.rmSync(file, { force: true });
      files.push(f);
      done(f, true);
    }
    part = undefined;
  };
  const start = (values: (string | null)[]) => {
    const id = JSON.stringify(values);
    if (seen.has(id)) throw new Error(`rows are not ordered by ${def.partitionBy.join(', ')} (partition ${id} came back)`);
    seen.add(id);
    // The columns and their types are part of what a file holds: a changed header rewrites it.
    part = { values, hash: crypto.createHash('sha256').update(`${JSON.stringify(fileColumns)}\n`), rows: 0 };
  };

  try {
    let checked = false;
    for (;;) {
      if (ctx.signal?.aborted) throw new Error(`lake export stopped before its manifest (the published lake is unchanged): ${messageOf(ctx.signal.reason)}`);
      const { rows, fields } = await read();
      if (!checked) {
        const want = def.columns.map((c) => c.name);
        if (fields.join(',') !== want.join(',')) throw new Error(`the query returns columns [${fields.join(', ')}] but its header declares [${want.join(', ')}]`);
        checked = true;
      }
      if (rows.length === 0) break;
      for (const row of rows) {
        const values = def.columns.map((c) => row[c.name] ?? null);
        const key = values.slice(0, width);
        if (!part || key.some((v, i) => v !== part!.values[i])) {
          await finish();
          start(key);
        }
        const own = values.slice(width);
        part!.hash.update(`${JSON.stringify(own)}\n`);
        part!.rows++;
        writer.append(own);
      }
    }
    // An empty unpartitioned table still gets its (empty) file: readers find its columns.
    if (files.length === 0 && !part && width === 0) start([]);
    await finish();
  } finally {
    await cursor.close();
  }
  return files;
}

async function readLakeManifest(target: ExportTarget): Promise<LakeManifest | undefined> {
  const body = await target.get(LAKE_MANIFEST_KEY);
  return body ? (JSON.parse(body.toString('utf8')) as LakeManifest) : undefined;
}
