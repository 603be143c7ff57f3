// Lands raw files in staging: stream lines -> COPY into a temp table -> set-based change detection
// (a first crawl: COPY straight into versions). One transaction per file, under its sources' locks,
// so a file is ingested wholly or not at all.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { lockSourcesForWrite } from '../db/locks.ts';
import { copyJson, copyRow, copyText } from '../db/copy-text.ts';
import { sqlQuery } from '../db/sql-file.ts';
import { contentHash, HASH_VERSION } from '../lib/canonical-json.ts';
import { EXIT, UserError, messageOf } from '../lib/errors.ts';
import { failpoint } from '../lib/failpoint.ts';
import { tightenHeap } from '../lib/tight-heap.ts';
import type { Logger } from '../lib/logger.ts';
import { readRawRecord, runEndSchema, type RunEnd } from '../raw/raw-line.ts';
import { RangeReader } from '../raw/range-reader.ts';
import { readLineBatches, readLines, type RawFileLine } from '../raw/read-lines.ts';
import { canonicalKey, recordLimitReason } from '../raw/record-limits.ts';
import { isInsideRawDir } from '../raw/list-raw-files.ts';
import { PoisonFileError, poisonReason, quarantineFile } from './poison-file.ts';
import type { SpiderDefinition } from '../spiders/define-spider.ts';
import { BatchKeys } from './batch-keys.ts';
import { decisionTimesOf, locateUnder, resolveOverlappingSightings, type LocateRawFile } from './overlapping-sightings.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);
const COPY_FIRST_VERSIONS = `COPY staging.versions (source, entity, key, partition, version, hash, hash_version, data, source_fields, volatile,
                                        valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id) FROM STDIN`;
const COPY_INCOMING = 'COPY incoming (raw_line, line_start, line_end, source, entity, key, key_hash, seen_before, partition, observed_at, hash, data, source_fields, volatile, run_id, reason, line) FROM STDIN';

/** The hash of a delisted version: a constant no content can produce. */
export const DELISTED_HASH = crypto.hash('sha256', 'trawl:delisted', 'buffer');

export interface IngestFileResult {
  path: string;
  lines: number;
  records: number;
  newVersions: number;
  unchanged: number;
  delisted: number;
  quarantined: number;
  /** Of those, lines whose source, key and reason no earlier file quarantined. */
  newQuarantined: number;
  collapsed: string[];
  skipped: boolean;
}

export interface IngestFileOptions {
  pool: pg.Pool;
  rawDir: string;
  file: string;
  /** The file's name in the ledger; default its path relative to rawDir. */
  ledgerPath?: string;
  /** Re-read from the start, whatever the ledger says. */
  replay?: boolean;
  /**
   * The file is whole and will not grow (a downloaded landing object): a last line without a newline
   * is a line. Otherwise such a line is a write in progress, left for the next ingest.
   */
  whole?: boolean;
  spiders: Map<string, SpiderDefinition>;
  delistMaxMissingShare: number;
  log: Logger;
  /** Where a ledgered raw file (a crawl overlapping this one) can be read again; default: under rawDir. */
  locateRawFile?: LocateRawFile;
  /** `ingestFiles` starts no further file once this aborts (each file lands whole or not at all). */
  signal?: AbortSignal;
}

/** Refuses to compare hashes made by another canonical form than this code's. */
export async function checkHashVersion(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ hash_version: number }>('SELECT hash_version FROM staging.hash_state');
  const stored = rows[0]?.hash_version;
  if (stored !== HASH_VERSION) {
    throw new UserError(`staging holds hash version ${stored}, this trawl computes version ${HASH_VERSION}: run \`trawl rehash\` first`, { exitCode: EXIT.failed });
  }
}

/** A raw file in an open transaction, its lines COPYed into `incoming` (or, a first crawl, to be read when it applies). */
interface StagedFile {
  client: pg.PoolClient;
  opts: IngestFileOptions;
  result: IngestFileResult;
  ledgerId: number;
  /** Where reading starts (the ledger's offset, or the start for a replay), and where it got to. */
  from: { bytes: number; lines: number };
  end: { bytes: number; lines: number };
  batch: IncomingBatch;
  /** Quarantined lines staged into `incoming`. */
  invalidLines: number;
  runId: string | null;
  trailer?: RunEnd;
  timings: Record<string, number>;
  /** A first crawl of this source and entity: its lines are read when it applies (`stageFirstVersions`). */
  firstCrawl?: { source: string; entity: string };
  /** True when the file's records landed as they were read: each is a new version. */
  landedAsRead?: boolean;
  /** This apply's place in the order of applies, taken under its sources' locks (`nextApplySeq`). */
  applySeq?: number;
}

export async function ingestFile(opts: IngestFileOptions): Promise<IngestFileResult> {
  const staged = await stageFile(opts);
  return 'client' in staged ? applyStaged(staged) : staged;
}

/** How many files may be applying at once (each on its own connection, under its sources' locks). */
const APPLYING_AT_ONCE = 2;

/**
 * Ingests files, one transaction each, in order of staging: while Postgres applies a file's changes,
 * Node reads and COPYs the next (a first crawl's file is read as it applies). Files of different
 * sources apply side by side (two at a time); two files of one source take turns, in order, under
 * that source's lock. A file whose own content fails it is quarantined as a whole (`onPoison`, and
 * staging.quarantined_files) and the next goes on; any other failure stops the ingest, after the
 * files being applied have finished.
 */
export async function ingestFiles(
  files: string[],
  opts: Omit<IngestFileOptions, 'file'>,
  onFile: (r: IngestFileResult) => void,
  onPoison: (f: { path: string; reason: string }) => void = () => undefined,
): Promise<void> {
  // Node's share of ingest is CPU-bound: a looser heap than a crawl's costs less collection time.
  tightenHeap(80);
  // Files being applied, oldest first; their promises never reject (a failure waits in `failed`).
  const applying: Promise<void>[] = [];
  let failed: { err: unknown } | undefined;
  /** Quarantines the file when the failure is its own; else it stops the ingest. */
  const fail = async (file: string, err: unknown) => {
    const reason = poisonReason(err);
    if (reason === undefined) {
      failed ??= { err };
      return;
    }
    const path = ledgerPathOf({ ...opts, file });
    try {
      await quarantineFile(opts.pool, path, reason);
    } catch (quarantineErr) {
      failed ??= { err: quarantineErr };
      return;
    }
    opts.log.warn({ file: path, reason }, 'raw file quarantined: it cannot be ingested; the next files go on (`trawl quarantine retry` tries it again)');
    onPoison({ path, reason });
  };
  let stoppedAt: number | undefined;
  try {
    for (const [i, file] of files.entries()) {
      if (opts.signal?.aborted) {
        stoppedAt = i;
        break;
      }
      let staged: StagedFile | IngestFileResult;
      try {
        staged = await stageFile({ ...opts, file });
      } catch (err) {
        await fail(file, err);
        if (failed) break;
        continue;
      }
      while (applying.length >= APPLYING_AT_ONCE && !failed) await applying.shift();
      if (failed) {
        if ('client' in staged) await abandon(staged);
        break;
      }
      if (!('client' in staged)) {
        onFile(staged);
        continue;
      }
      applying.push(applyStaged(staged).then(onFile, (err: unknown) => fail(file, err)));
    }
  } finally {
    // A staging failure surfaces after the files being applied have committed or failed.
    await Promise.all(applying);
  }
  if (failed) throw failed.err;
  if (stoppedAt !== undefined) {
    throw new Error(`ingest stopped (${messageOf(opts.signal!.reason)}) before ${files.length - stoppedAt} of ${files.length} file(s); those before it landed whole, the rest are left for the next ingest`);
  }
}

/** The path a file is ledgered under: given (a landing object), else relative to the raw folder. */
function ledgerPathOf(opts: Pick<IngestFileOptions, 'ledgerPath' | 'rawDir' | 'file'>): string {
  if (opts.ledgerPath) return opts.ledgerPath;
  const rel = path.relative(opts.rawDir, path.resolve(opts.file));
  if (rel.startsWith('..')) throw new UserError(`${opts.file} is outside the raw folder ${opts.rawDir}`);
  return rel;
}

/** Opens a raw file's transaction at its ledger offset and COPYs its lines into `incoming` (a first crawl's wait for the apply step); takes no lock but the ledger row's. */
async function stageFile(opts: IngestFileOptions): Promise<StagedFile | IngestFileResult> {
  const rel = ledgerPathOf(opts);
  // A symbolic link out of the raw folder would copy an outside file's content into staging.
  if (!opts.ledgerPath && !isInsideRawDir(opts.rawDir, opts.file)) throw new PoisonFileError(`${rel} leads out of the raw folder (a symbolic link): not read`);
  const client = await opts.pool.connect();
  const timings: Record<string, number> = {};
  const lap = stopwatch(timings);
  try {
    await client.query('BEGIN');
    // The ledger row stays locked until commit, so a second ingest of this file waits here and then
    // reads the offset the first one reached.
    const ledger = await client.query<{ id: number; bytes_ingested: number; lines_ingested: number }>(
      `INSERT INTO staging.raw_files (path) VALUES ($1)
       ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
       RETURNING id, bytes_ingested, lines_ingested`,
      [rel],
    );
    const row = ledger.rows[0]!;
    const entry = { id: Number(row.id), bytes: Number(row.bytes_ingested), lines: Number(row.lines_ingested) };
    const size = fs.statSync(opts.file).size;
    const from = opts.replay ? { bytes: 0, lines: 0 } : entry;
    const result: IngestFileResult = {
      path: rel, lines: 0, records: 0, newVersions: 0, unchanged: 0, delisted: 0, quarantined: 0, newQuarantined: 0, collapsed: [], skipped: false,
    };
    if (!opts.replay && from.bytes >= size) {
      await client.query('ROLLBACK');
      client.release();
      return { ...result, skipped: true };
    }

    const kind = await firstRecordKind(opts.file, from);
    const known = kind !== undefined && (await sourceIsKnown(client, kind));
    await client.query(Q('create_incoming'));
    // A file of a source with known keys is mostly unchanged lines: they go without their data.
    const staged: StagedFile = {
      client, opts, result, ledgerId: entry.id, from, end: from, runId: null, timings, invalidLines: 0,
      batch: { records: 0, keys: new BatchKeys(), payloadFile: known ? opts.file : undefined },
    };
    // A first crawl of a source is read when it applies, under the source's lock, and lands its
    // records as they are read.
    if (kind && !known) return { ...staged, firstCrawl: kind };
    return await stageIncoming(staged, lap);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw ingestError(rel, err);
  }
}

/** COPYs a file's lines from its ledger offset into `incoming`, for change detection when applied. */
async function stageIncoming(staged: StagedFile, lap: (name: string) => void): Promise<StagedFile> {
  const { client, opts, batch } = staged;
  const withoutData = batch.payloadFile !== undefined;
  const rows = copyChunks(
    staged,
    (line) =>
      toIncomingRow(line.text, line.lineNo, opts.spiders, staged.runId, batch.keys, withoutData ? { withoutData: { start: line.startOffset, end: line.endOffset - 1 } } : {}),
    (r) => {
      if (r.reason !== undefined) staged.invalidLines++;
      else if (r.copy) batch.records++;
      return r.copy;
    },
  );
  await pipeline(Readable.from(rows), client.query(copyFrom(COPY_INCOMING)));
  lap('copy');
  failpoint('ingest.after-copy');
  return staged;
}

/**
 * Reads a staged file's lines from its offset, noting its run id, trailer, line count and end, and
 * yields COPY text of what `take` keeps of each line's row, in chunks of about 64 KB: one socket
 * write per row would dominate, and a chunk that grows larger outlives young-generation collections
 * and is copied by them (256 KB cost a fifth more collection time).
 */
async function* copyChunks(
  staged: StagedFile,
  row: (line: RawFileLine) => IncomingRow,
  take: (r: IncomingRow) => string | undefined,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const lines of readLineBatches(staged.opts.file, staged.end, { whole: staged.opts.whole })) {
    for (const line of lines) {
      staged.end = { bytes: line.endOffset, lines: line.lineNo };
      staged.result.lines++;
      failpoint('ingest.line');
      // A line refused at the byte level (over the size limit, not UTF-8) is quarantined as it is.
      const r = line.refused ? quarantineRow(line.text, line.lineNo, staged.runId, line.refused) : row(line);
      if (r.control?.control === 'start') staged.runId = r.control.run_id;
      if (r.control?.control === 'end') staged.trailer = r.control;
      const text = take(r);
      if (text) chunk += text;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
        // Parsing runs for seconds without a turn of the event loop otherwise, and a file being
        // applied meanwhile waits that long for each of its statements' results.
        await new Promise(setImmediate);
      }
    }
  }
  if (chunk) yield chunk;
}

/** Reads a first crawl's file: straight into versions if it can, else into `incoming` as any file. */
async function stageFirstCrawl(staged: StagedFile, kind: { source: string; entity: string }, lap: (name: string) => void): Promise<void> {
  if (await stageFirstVersions(staged, kind)) {
    lap('copy');
    failpoint('ingest.after-copy');
    return;
  }
  Object.assign(staged, { end: staged.from, runId: null, trailer: undefined, invalidLines: 0, batch: { records: 0, keys: new BatchKeys() } });
  staged.result.lines = 0;
  await stageIncoming(staged, lap);
}

/** Why a first crawl's file cannot land as it is read; it is then staged like any other. */
class NotFirstVersions extends Error {}

/** More quarantined lines than this are not held in memory: the file is staged like any other. */
const MAX_HELD_QUARANTINE_BYTES = 16 << 20;

/**
 * A first crawl of a source (no key known) whose keys each come once: every record is its key's
 * version 1. Under the source's lock, records are COPYed straight into staging.versions as they are
 * read, with no temp table and no comparing, and their key states follow from what landed.
 * Returns false, with nothing of the file landed, when the file turns out otherwise: a key comes
 * twice (the change-detection index refuses it), a record of another source or entity, another
 * ingest landed the source's first keys meanwhile, or many quarantined lines.
 */
async function stageFirstVersions(staged: StagedFile, kind: { source: string; entity: string }): Promise<boolean> {
  const { client, opts, batch } = staged;
  // The lock is held until commit, also when the file is read the general way after all: letting go
  // would let a later file of the source, already waiting, apply before this one (a day's changes
  // then look older than what is known, and are lost). So it is taken before the savepoint.
  await lockSourcesForWrite(client, [kind.source]);
  staged.applySeq = await nextApplySeq(client);
  // Once per transaction, under the staging lock: applyStaged does not check again.
  await checkHashVersion(client);
  if (await sourceIsKnown(client, kind)) return false;
  // Ids this transaction takes from here are above every id taken before (and other writers'
  // rows in that range are told apart by their raw file).
  const { rows: before } = await client.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM staging.versions');
  await client.query('SAVEPOINT first_versions');
  const quarantined: string[] = [];
  let heldBytes = 0;
  const rows = copyChunks(
    staged,
    (line) => toIncomingRow(line.text, line.lineNo, opts.spiders, staged.runId, batch.keys, { firstVersionOf: staged.ledgerId }),
    (r) => {
      if (r.reason !== undefined) {
        quarantined.push(r.copy!);
        heldBytes += r.copy!.length;
        if (heldBytes > MAX_HELD_QUARANTINE_BYTES) throw new NotFirstVersions('many quarantined lines');
        return undefined;
      }
      if (r.copy === undefined) return undefined;
      if (r.source !== kind.source || r.entity !== kind.entity) throw new NotFirstVersions('records of several sources');
      batch.records++;
      return r.copy;
    },
  );
  try {
    await pipeline(Readable.from(rows), client.query(copyFrom(COPY_FIRST_VERSIONS)));
  } catch (err) {
    // 23505: a key came twice, which the windowed path handles.
    if (!(err instanceof NotFirstVersions) && (err as { code?: string }).code !== '23505') throw err;
    await client.query('ROLLBACK TO SAVEPOINT first_versions');
    return false;
  }
  // The rows just landed are the top of the id index; versions' statistics may not know them yet
  // (a new database, or rows since the last analyze), and a scan of the whole table would read
  // every version of every source for one file's rows.
  await without(client, 'seqscan', () => client.query(Q('insert_first_key_state_from_versions'), [before[0]!.id, staged.ledgerId, staged.applySeq]));
  // Quarantined lines go through `incoming` as in any file.
  await pipeline(Readable.from(quarantined.length ? [quarantined.join('')] : []), client.query(copyFrom(COPY_INCOMING)));
  staged.invalidLines = quarantined.length;
  staged.landedAsRead = true;
  return true;
}

/** Applies a staged file under its sources' locks and commits it (a first crawl's file is read here). */
async function applyStaged(staged: StagedFile): Promise<IngestFileResult> {
  const { client, opts, result, ledgerId: id, timings } = staged;
  const lap = stopwatch(timings);
  try {
    if (staged.firstCrawl) await stageFirstCrawl(staged, staged.firstCrawl, lap);
    const { end, trailer } = staged;
    const sources = staged.batch.keys.kindsOfRecord().sources;
    await lockSourcesForWrite(client, trailer ? [...sources, trailer.source] : sources);
    const seq = (staged.applySeq ??= await nextApplySeq(client));
    if (!staged.firstCrawl) {
      await checkHashVersion(client);
      const locate = opts.locateRawFile ?? locateUnder(opts.rawDir);
      await resolveOverlappingSightings(client, id, decisionTimesOf(staged.batch.keys, trailer), locate, opts.log);
    }
    lap('lock');
    if (staged.invalidLines > 0) {
      const q = (await client.query<{ quarantined: number; fresh: number }>(Q('quarantine_invalid'), [id])).rows[0]!;
      result.quarantined = q.quarantined;
      result.newQuarantined = q.fresh;
    }
    const plan = trailer ? await planRunEnd(client, id, trailer, staged.batch.keys, opts.delistMaxMissingShare) : undefined;
    const records = staged.batch.records;
    const sighted = plan ? { source: plan.source, partitions: plan.sightings.map((s) => s.partition) } : undefined;
    const delisting = plan?.delisting.length ? { source: plan.source, partitions: plan.delisting, startedAt: trailer!.started_at } : undefined;
    const { gone, ...applied } = staged.landedAsRead
      ? { records, newVersions: records, unchanged: 0, gone: undefined }
      : await applyIncoming(client, id, staged.batch, seq, sighted, timings, delisting);
    Object.assign(result, applied);
    lap('apply');
    failpoint('ingest.after-apply');
    if (plan) {
      result.delisted = await applyRunEnd(client, id, trailer!, end.lines, seq, plan, gone);
      result.collapsed = plan.collapsed;
    }
    await client.query(
      `UPDATE staging.raw_files
       SET bytes_ingested = greatest(bytes_ingested, $2), lines_ingested = greatest(lines_ingested, $3),
           source = coalesce(source, $4), run_id = coalesce(run_id, $5),
           finished = finished OR $6, complete = complete OR $7, last_ingested_at = now()
       WHERE id = $1`,
      [id, end.bytes, end.lines, trailer?.source ?? null, trailer?.run_id ?? staged.runId, trailer !== undefined, trailer?.complete ?? false],
    );
    lap('delist');
    failpoint('ingest.before-commit');
    await client.query('COMMIT');
    lap('commit');
    opts.log.debug({ file: result.path, ms: timings }, 'ingest timings');
    for (const partition of result.collapsed) {
      opts.log.warn({ file: result.path, partition }, 'crawl record count collapsed against the last complete crawl: nothing delisted');
    }
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw ingestError(result.path, err);
  } finally {
    client.release();
  }
}

/**
 * Runs one statement with a scan or join method of the planner off, where statistics mislead it
 * (temp tables have none; rows just landed are not in them); the rest of the transaction keeps it.
 */
async function without<T>(client: pg.PoolClient, method: 'seqscan' | 'nestloop', statement: () => Promise<T>): Promise<T> {
  // set_config(…, true) is SET LOCAL.
  await client.query("SELECT set_config($1, 'off', true)", [`enable_${method}`]);
  const result = await statement();
  await client.query("SELECT set_config($1, 'on', true)", [`enable_${method}`]);
  return result;
}

/** Records into `timings` the milliseconds since the previous lap (or the start) under each name. */
function stopwatch(timings: Record<string, number>): (name: string) => void {
  let mark = performance.now();
  return (name) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
}

/** Rolls back a staged file that will not be applied. */
async function abandon(staged: StagedFile): Promise<void> {
  await staged.client.query('ROLLBACK').catch(() => undefined);
  staged.client.release();
}

function ingestError(rel: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as { code?: string }).code;
  // The server went away mid-file (restart, failover): the transaction is gone, the ledger unchanged.
  const lost = code === 'EPIPE' || code === 'ECONNRESET' || code === '57P01' || /Connection terminated/.test(messageOf(err));
  return new Error(`ingest ${rel}: ${lost ? `lost the database connection (${messageOf(err)}); nothing of this file landed, run ingest again` : messageOf(err)}`, { cause: err });
}

/** The valid rows of `incoming`, whose lines belong to one raw file. */
export interface IncomingBatch {
  records: number;
  keys: BatchKeys;
  /** Set when the rows were staged without data: the file to read the lines that become versions from. */
  payloadFile?: string;
}

/** A complete crawl's partitions that delist what it did not see, and when it started. */
export interface Delisting {
  source: string;
  partitions: string[];
  startedAt: string;
}

/**
 * Change detection over a batch in `incoming`, as apply number `applySeq`. Unchanged keys of the
 * `sighted` partitions (which this complete crawl's sightings will cover) are not written. With
 * `delisting`, the join that compares the lines may also find the keys the crawl did not see: it
 * then returns how many (`gone`), and leaves them, if any, in the temp table `gone`.
 */
export async function applyIncoming(
  client: pg.PoolClient,
  rawFileId: number,
  batch: IncomingBatch,
  applySeq: number,
  sighted: { source: string; partitions: string[] } | undefined,
  timings: Record<string, number> = {},
  delisting?: Delisting,
): Promise<{ records: number; newVersions: number; unchanged: number; gone?: number }> {
  const lap = stopwatch(timings);
  // Each named statement of sql/staging/ingest.sql, timed into `timings` (the debug log shows them).
  const run = async <R extends pg.QueryResultRow>(name: string, params?: unknown[]) => {
    const result = await client.query<R>(Q(name), params);
    lap(name);
    return result;
  };
  // Sorts and hashes over a file's lines stay in memory (the default 4 MB spills them to disk); JIT
  // compiling these row-writing statements costs more than it saves (~0.4 s of a 200,000-line
  // file); and temp tables have no statistics, on which the planner likes merge joins that sort the
  // wide incoming table on disk.
  await client.query("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; SET LOCAL enable_mergejoin = off");
  await run('find_repeated');
  const { sources, entities } = batch.keys.kindsOfRecord();
  // match joins every line to its key state. Probing the index costs ~5 µs a line, hashing the
  // sources' key states ~0.5 µs a key; the planner cannot tell (temp tables have no statistics: it
  // takes a file for a few hundred lines and always probes), so Node chooses.
  const hashLimit = batch.records * HASH_JOIN_KEYS_PER_LINE;
  const keys = Number((await run<{ n: string }>('count_keys', [sources, entities])).rows[0]!.n);
  let newVersions = 0;
  let compare = batch.records;
  let gone: number | undefined;
  if (keys === 0) {
    await run('match_new');
  } else {
    const hashJoin = keys <= hashLimit;
    // Hashing reads all the sources' key states: those of the delisting partitions that no line
    // names come out of the same join.
    const delist = hashJoin && delisting && sources.includes(delisting.source) ? delisting : undefined;
    const match = () =>
      run('match', [sources, sighted?.source ?? null, sighted?.partitions ?? [], delist?.source ?? null, delist?.partitions ?? [], delist?.startedAt ?? null, hashJoin]);
    await (hashJoin ? without(client, 'nestloop', match) : match());
    const matched = (await run<{ touch: number; compare: number; gone: number }>('count_matched')).rows[0]!;
    if (matched.touch > 0) await run('touch_unchanged', [applySeq]);
    if (delist) gone = matched.gone;
    if (gone) await run('gone_from_matched');
    // The daily case is every line an unchanged key seen once: then nothing is left to compare.
    compare = matched.compare;
  }
  if (compare > 0) {
    await run('segment');
    if (batch.payloadFile) {
      await loadPayload(client, batch.payloadFile);
      lap('payload');
    }
    await run('summarise_keys');
    await run('close_changed');
    newVersions = (await run('insert_versions', [rawFileId, HASH_VERSION, !batch.payloadFile])).rowCount ?? 0;
    await run('update_key_state', [applySeq]);
    await run('insert_key_state', [HASH_VERSION, applySeq]);
  }
  await client.query('DROP TABLE IF EXISTS repeated, matched, segments, key_changes');
  return { records: batch.records, newVersions, unchanged: batch.records - newVersions, gone };
}

/** Hashing the key states of a file's sources beats probing their index this many times over. */
const HASH_JOIN_KEYS_PER_LINE = 8;

/**
 * Reads again the lines that become versions of a file staged without data, and COPYs their data
 * into `payload`, a batch of lines at a time (memory stays bounded whatever the file).
 */
async function loadPayload(client: pg.PoolClient, file: string): Promise<void> {
  await client.query(Q('declare_payload_lines'));
  const reader = new RangeReader(file);
  try {
    for (;;) {
      const { rows } = await client.query<{ raw_line: number; line_start: string; line_end: string }>('FETCH 50000 FROM payload_lines');
      if (rows.length === 0) break;
      const copy = async function* () {
        let chunk = '';
        let i = 0;
        for (const text of reader.read(rows.map((r) => ({ start: Number(r.line_start), end: Number(r.line_end) })))) {
          chunk += payloadRow(text, rows[i++]!.raw_line);
          if (chunk.length >= 262_144) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      };
      await pipeline(Readable.from(copy()), client.query(copyFrom('COPY payload (raw_line, data, source_fields) FROM STDIN')));
    }
  } finally {
    reader.close();
  }
  await client.query('CLOSE payload_lines');
}

/** The source and entity of a file's first record (within its first 100 lines), if any. */
async function firstRecordKind(file: string, from: { bytes: number; lines: number }): Promise<{ source: string; entity: string } | undefined> {
  for await (const line of readLines(file, from)) {
    try {
      const parsed = readRawRecord(JSON.parse(line.text));
      if (parsed.ok) return { source: parsed.record.source, entity: parsed.record.entity };
    } catch {
      // Not JSON: the real pass quarantines it.
    }
    if (line.lineNo - from.lines >= 100) break;
  }
  return undefined;
}

/**
 * Whether a source already has keys of an entity: then most of a new file's lines will likely be
 * unchanged. A wrong guess costs time only: every line is judged the same either way.
 */
async function sourceIsKnown(client: pg.PoolClient, kind: { source: string; entity: string }): Promise<boolean> {
  const { rows } = await client.query<{ n: string }>(Q('count_keys'), [[kind.source], [kind.entity]]);
  return Number(rows[0]!.n) > 0;
}

/** This apply's place in the order of applies; taken once its sources' locks are held. */
export async function nextApplySeq(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ seq: string }>("SELECT nextval('staging.apply_seq') AS seq");
  return Number(rows[0]!.seq);
}

/** The partition name a crawl that found no record at all is recorded under. */
const NO_PARTITION = '(no records)';

/** What a run's trailer decides, before its file applies: which partitions delist, and which it sees. */
interface RunEndPlan {
  source: string;
  collapsed: string[];
  delisting: string[];
  /** Delisting partitions this crawl sees later than their current sighting, with when and from when (timestamptz text: a Date would drop microseconds). */
  sightings: { partition: string; seen_at: string; window_start: string }[];
}

/**
 * Records a run's partitions and judges them: a complete crawl's partitions delist what it did not
 * see, unless their record count collapsed; those it sees later than anything before become their
 * partition's sighting, at its last valid observation there (`keys`: what Node noted of its lines).
 */
async function planRunEnd(client: pg.PoolClient, rawFileId: number, end: RunEnd, keys: BatchKeys, maxMissingShare: number): Promise<RunEndPlan> {
  const keyless = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM staging.quarantine WHERE raw_file_id = $1 AND key IS NULL',
    [rawFileId],
  );
  // A record whose key could not be told may be any key: no partition of this run can delist safely.
  const complete = end.complete && keyless.rows[0]!.n === 0;
  const collapsed: string[] = [];
  const delisting: string[] = [];
  for (const [partition, records] of Object.entries(end.partitions)) {
    const prev = await client.query<{ records: number }>(Q('previous_complete_count'), [end.source, partition, end.finished_at, rawFileId]);
    const prevRecords = prev.rows[0]?.records;
    const isCollapsed = complete && prevRecords !== undefined && records < prevRecords * (1 - maxMissingShare);
    await client.query(Q('record_partition'), [rawFileId, end.source, partition, records, complete, isCollapsed, end.started_at, end.finished_at]);
    if (isCollapsed) collapsed.push(partition);
    else if (complete) delisting.push(partition);
  }
  // A complete crawl that found nothing at all names no partition: it is judged as one, collapsed,
  // so a spider whose parser reads nothing (a first crawl included) shows in status and alerts.
  if (complete && end.records === 0 && Object.keys(end.partitions).length === 0) {
    await client.query(Q('record_partition'), [rawFileId, end.source, NO_PARTITION, 0, complete, true, end.started_at, end.finished_at]);
    collapsed.push(NO_PARTITION);
  }
  const last = keys.lastObserved(end.source);
  const first = keys.firstObserved(end.source);
  const sightings = delisting.length
    ? (
        await client.query<RunEndPlan['sightings'][number]>(Q('new_sightings'), [
          end.source, delisting, end.finished_at, last.partitions, last.at, end.started_at, first.partitions, first.at,
        ])
      ).rows
    : [];
  return { source: end.source, collapsed, delisting, sightings };
}

/**
 * Delists what a complete crawl no longer saw, and records its sightings. `found`: how many keys
 * change detection already found unseen (in the temp table `gone`); else they are looked for here,
 * in one pass over its source's keys.
 */
async function applyRunEnd(
  client: pg.PoolClient,
  rawFileId: number,
  end: RunEnd,
  endLine: number,
  applySeq: number,
  plan: RunEndPlan,
  found: number | undefined,
): Promise<number> {
  let delisted = 0;
  if (plan.delisting.length && found !== 0) {
    if (found === undefined) {
      // Most of a partition's keys are in the file, and key_state's statistics may predate its
      // keys (a first crawl): a nested loop would scan `incoming` once per key.
      await without(client, 'nestloop', () => client.query(Q('find_delisted'), [end.source, plan.delisting, end.started_at]));
    }
    await client.query(Q('spare_quarantined'), [rawFileId]);
    await client.query(Q('close_delisted'), [end.finished_at]);
    const ins = await client.query(Q('insert_delisted'), [DELISTED_HASH, HASH_VERSION, end.finished_at, rawFileId, endLine, end.run_id]);
    await client.query(Q('mark_delisted'), [DELISTED_HASH, end.finished_at, applySeq]);
    await client.query(Q('drop_gone'));
    delisted = ins.rowCount ?? 0;
  }
  if (plan.sightings.length) {
    await client.query(Q('uncover_quarantined'), [applySeq, rawFileId]);
    const { sightings } = plan;
    await client.query(Q('record_sightings'), [
      end.source, sightings.map((s) => s.partition), sightings.map((s) => s.seen_at), applySeq, rawFileId, sightings.map((s) => s.window_start),
    ]);
  }
  return delisted;
}

export interface IncomingRow {
  copy?: string;
  control?: { control: 'start'; run_id: string } | RunEnd;
  /** Set when the line is quarantined. */
  reason?: string;
  /** A valid record's source and entity. */
  source?: string;
  entity?: string;
}

/**
 * Validates one raw line into a COPY row: a record, a quarantined line, or a control line. With
 * `revalidate` (quarantine retry), the line's own invalid flag is ignored and its data is judged
 * by the spider's current schema alone. With `withoutData` (the line's bytes in its file), the row
 * leaves data and source_fields out: the lines that become versions bring them later (`payloadRow`).
 * With `firstVersionOf` (the raw file's ledger id), a valid record's row is its version 1, for
 * COPY_FIRST_VERSIONS.
 */
export function toIncomingRow(
  text: string,
  lineNo: number,
  spiders: Map<string, SpiderDefinition>,
  runId: string | null,
  keys: BatchKeys,
  opts: { revalidate?: boolean; withoutData?: { start: number; end: number }; firstVersionOf?: number } = {},
): IncomingRow {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return quarantineRow(text, lineNo, runId, `invalid JSON: ${messageOf(err)}`);
  }
  if (obj && typeof obj === 'object' && 'control' in obj) {
    const control = (obj as { control: unknown }).control;
    if (control === 'start') return { control: obj as { control: 'start'; run_id: string } };
    // A crawl's page marker (its resume journal): not a record.
    if (control === 'page') return {};
    const end = runEndSchema.safeParse(obj);
    if (end.success) return { control: end.data };
    return quarantineRow(text, lineNo, runId, `invalid run trailer: ${end.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const parsed = readRawRecord(obj);
  if (!parsed.ok) {
    const o = (obj ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return quarantineRow(text, lineNo, runId, `not a raw record: ${parsed.reason}`, { source: str(o.source), entity: str(o.entity), key: str(o.key) });
  }
  const r = parsed.record;
  if (r.key !== null) r.key = canonicalKey(r.key);
  const limit = recordLimitReason(r);
  if (limit) return quarantineRow(text, lineNo, runId, limit, r);
  const spider = spiders.get(r.source);
  if (opts.revalidate) {
    if (!spider || spider.entity !== r.entity) return quarantineRow(text, lineNo, runId, r.invalid ?? `no spider ${r.source} with entity ${r.entity} to validate against`, r);
    const valid = spider.schema.safeParse(r.data);
    if (!valid.success) return quarantineRow(text, lineNo, runId, zodReason(valid.error), r);
    r.data = valid.data as Record<string, unknown>;
    r.key = spider.key(valid.data);
    r.partition = spider.partition?.(valid.data) ?? r.partition;
    r.invalid = undefined;
  }
  if (r.invalid !== undefined) return quarantineRow(text, lineNo, runId, r.invalid, r);
  if (r.data === null) return quarantineRow(text, lineNo, runId, 'record has no data', r);
  if (r.key === null) return quarantineRow(text, lineNo, runId, 'record has no key', r);
  if (spider && spider.entity === r.entity && !opts.revalidate) {
    const valid = spider.schema.safeParse(r.data);
    if (!valid.success) return quarantineRow(text, lineNo, runId, zodReason(valid.error), r);
  }
  const volatile = r.volatile ?? spider?.volatile ?? [];
  let hash: string;
  try {
    hash = contentHash(r.data, volatile);
  } catch (err) {
    return quarantineRow(text, lineNo, runId, `cannot hash record: ${messageOf(err)}`, r);
  }
  // A NUL or an unpaired surrogate can only come as a \u escape in the line's JSON text.
  let payload: Payload | undefined;
  if (!opts.withoutData || text.includes('\\u')) {
    payload = payloadOf(r);
    const refused = refusedByJsonb(payload);
    if (refused) return quarantineRow(text, lineNo, runId, refused, r);
  }
  const data = opts.withoutData ? '\\N\t\\N' : payloadColumns(payload!);
  const hashOfKey = keyHash(r.source, r.entity, r.key);
  const seenBefore = keys.note(r.source, r.entity, hashOfKey) ? 't' : 'f';
  keys.noteObserved(r.source, r.partition, r.observed_at);
  // Rows are written out rather than through copyRow: this runs for every line. JSON text holds no
  // raw tab or newline, and observed_at was checked, so only some fields need escaping.
  if (opts.firstVersionOf !== undefined) {
    return {
      source: r.source,
      entity: r.entity,
      copy: `${copyText(r.source)}\t${copyText(r.entity)}\t${copyText(r.key)}\t${copyText(r.partition)}\t1\t\\\\x${hash}\t${HASH_VERSION}\t${data}\t${textArray(volatile)}\t${r.observed_at}\t\\N\t${r.observed_at}\t${opts.firstVersionOf}\t${lineNo}\t${runId === null ? '\\N' : copyText(runId)}\n`,
    };
  }
  return {
    source: r.source,
    entity: r.entity,
    copy: `${lineNo}\t${opts.withoutData ? `${opts.withoutData.start}\t${opts.withoutData.end}` : '\\N\t\\N'}\t${copyText(r.source)}\t${copyText(r.entity)}\t${copyText(r.key)}\t${hashOfKey}\t${seenBefore}\t${copyText(r.partition)}\t${r.observed_at}\t\\\\x${hash}\t${data}\t${textArray(volatile)}\t${runId === null ? '\\N' : copyText(runId)}\t\\N\t\\N\n`,
  };
}

/** A record's data and source fields as JSON text: Postgres parses it only for lines that become versions. */
interface Payload {
  data: string;
  sourceFields: string | null;
}

function payloadOf(r: { data: Record<string, unknown> | null; source_fields: Record<string, unknown> | null }): Payload {
  return { data: JSON.stringify(r.data), sourceFields: r.source_fields === null ? null : JSON.stringify(r.source_fields) };
}

/** The data and source_fields columns of a COPY row. */
function payloadColumns(p: Payload): string {
  return `${copyJson(p.data)}\t${p.sourceFields === null ? '\\N' : copyJson(p.sourceFields)}`;
}

/**
 * Why jsonb would refuse a payload, if it would: it refuses NUL and unpaired surrogates. JSON.stringify
 * writes a paired surrogate as the character itself, so any surrogate escape in its output is unpaired.
 */
function refusedByJsonb(p: Payload): string | undefined {
  for (const json of [p.data, p.sourceFields]) {
    if (json?.includes('\\u')) {
      if (json.includes('\\u0000')) return 'record contains a NUL character';
      if (UNPAIRED_SURROGATE.test(json)) return 'record contains an unpaired UTF-16 surrogate';
    }
  }
  return undefined;
}

/**
 * The `payload` COPY row of a line that `toIncomingRow` accepted without its data. Raw files only
 * grow, so the line reads as it did; anything else is an error, not a guess.
 */
export function payloadRow(text: string, lineNo: number): string {
  let parsed: ReturnType<typeof readRawRecord> | undefined;
  try {
    parsed = readRawRecord(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.ok || parsed.record.data === null) throw new Error(`line ${lineNo} no longer holds the record it held when it was staged`);
  return `${lineNo}\t${payloadColumns(payloadOf(parsed.record))}\n`;
}

interface QuarantineFields {
  source?: string;
  entity?: string;
  key?: string | null;
}

function quarantineRow(text: string, lineNo: number, runId: string | null, reason: string, fields: QuarantineFields = {}): IncomingRow {
  return {
    reason,
    copy: copyRow([lineNo, null, null, fields.source, fields.entity, fields.key, null, null, null, null, null, null, null, null, runId, reason, text.replace(/\0/g, '\uFFFD')]),
  };
}

/**
 * A 52-bit hash of a record's identity, for finding keys seen more than once in a file by integer
 * rather than by three texts. A collision only sends a key down the general path, which is right
 * for any key.
 */
function keyHash(source: string, entity: string, key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const part of [source, entity, key]) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = Math.imul(a ^ 0xff, 0x01000193);
    b = Math.imul(b ^ 0xff, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

const UNPAIRED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i;

function zodReason(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
}

/** A Postgres text[] literal in COPY text, or \N for none. The few distinct lists are remembered. */
function textArray(values: readonly string[]): string {
  if (values.length === 0) return '\\N';
  // Consecutive lines nearly always name the same list: comparing is cheaper than joining a key.
  if (values.length === lastArray.values.length && values.every((v, i) => v === lastArray.values[i])) return lastArray.literal;
  const id = values.join('\u0000');
  let literal = arrayLiterals.get(id);
  if (literal === undefined) {
    literal = copyText(`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
    if (arrayLiterals.size >= 1024) arrayLiterals.clear();
    arrayLiterals.set(id, literal);
  }
  lastArray = { values: [...values], literal };
  return literal;
}
const arrayLiterals = new Map<string, string>();
let lastArray: { values: readonly string[]; literal: string } = { values: [], literal: '\\N' };

export { COPY_INCOMING };
