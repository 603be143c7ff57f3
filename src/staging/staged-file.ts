// A raw file staged for ingest: its transaction opened at its ledger offset and its lines COPYed
// into `incoming` (a first crawl's are read when it applies, src/staging/first-crawl.ts).
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sqlQuery } from '../db/index.ts';
import { messageOf, UserError } from '../lib/errors.ts';
import { failpoint } from '../lib/failpoint.ts';
import { stopwatch } from '../lib/stopwatch.ts';
import { isInsideRawDir, type RawFileLine, readLineBatches, readLines, readRawRecord, type RunEnd } from '../raw/index.ts';
import { BatchKeys } from './batch-keys.ts';
import type { IncomingBatch } from './change-detection.ts';
import { COPY_INCOMING, type IncomingRow, quarantineRow, toIncomingRow } from './incoming-row.ts';
import type { IngestFileOptions, IngestFileResult } from './ingest-file.ts';
import { PoisonFileError } from './poison-file.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);

/** A raw file in an open transaction, its lines COPYed into `incoming` (or, a first crawl, to be read when it applies). */
export interface StagedFile {
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
  /** Set by the file's start line when it carries the current schema hash: valid lines after it are not validated again (a file read from an offset past it is validated). */
  trusted: boolean;
  trailer?: RunEnd;
  timings: Record<string, number>;
  /** A first crawl of this source and entity: its lines are read when it applies (`stageFirstVersions`). */
  firstCrawl?: { source: string; entity: string };
  /** True when the file's records landed as they were read: each is a new version. */
  landedAsRead?: boolean;
  /** This apply's place in the order of applies, taken under its sources' locks (`nextApplySeq`). */
  applySeq?: number;
}

/** The path a file is ledgered under: given (a landing object), else relative to the raw folder. */
export function ledgerPathOf(opts: Pick<IngestFileOptions, 'ledgerPath' | 'rawDir' | 'file'>): string {
  if (opts.ledgerPath) return opts.ledgerPath;
  const rel = path.relative(opts.rawDir, path.resolve(opts.file));
  if (rel.startsWith('..')) throw new UserError(`${opts.file} is outside the raw folder ${opts.rawDir}`);
  return rel;
}

/** Opens a raw file's transaction at its ledger offset and COPYs its lines into `incoming` (a first crawl's wait for the apply step); takes no lock but the ledger row's. */
export async function stageFile(opts: IngestFileOptions): Promise<StagedFile | IngestFileResult> {
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
    const ledger = await client.query<{ id: number; bytes_ingested: number; lines_ingested: number }>(Q('claim_ledger_row'), [rel]);
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
      trusted: false,
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
export async function stageIncoming(staged: StagedFile, lap: (name: string) => void): Promise<StagedFile> {
  const { client, opts, batch } = staged;
  const withoutData = batch.payloadFile !== undefined;
  const rows = copyChunks(
    staged,
    (line) =>
      toIncomingRow(line.text, line.lineNo, opts.rules, staged.runId, batch.keys, { trusted: staged.trusted, ...(withoutData ? { withoutData: { start: line.startOffset, end: line.endOffset - 1 } } : {}) }),
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
export async function* copyChunks(
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
      if (r.control?.control === 'start') {
        staged.runId = r.control.run_id ?? null;
        // Lines after a start line with the current schema hash were validated by a crawl of today's
        // code. A landing object is another producer's, whatever its start line says.
        const current = typeof r.control.source === 'string' ? staged.opts.rules.get(r.control.source)?.schemaHash : undefined;
        staged.trusted = !staged.opts.ledgerPath && current !== undefined && r.control.schema_hash === current;
      }
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
export async function sourceIsKnown(client: pg.PoolClient, kind: { source: string; entity: string }): Promise<boolean> {
  const { rows } = await client.query<{ n: string }>(Q('count_keys'), [[kind.source], [kind.entity]]);
  return Number(rows[0]!.n) > 0;
}

/** Rolls back a staged file that will not be applied. */
export async function abandon(staged: StagedFile): Promise<void> {
  await staged.client.query('ROLLBACK').catch(() => undefined);
  staged.client.release();
}

export function ingestError(rel: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as { code?: string }).code;
  // The server went away mid-file (restart, failover): the transaction is gone, the ledger unchanged.
  const lost = code === 'EPIPE' || code === 'ECONNRESET' || code === '57P01' || /Connection terminated/.test(messageOf(err));
  return new Error(`ingest ${rel}: ${lost ? `lost the database connection (${messageOf(err)}); nothing of this file landed, run ingest again` : messageOf(err)}`, { cause: err });
}
