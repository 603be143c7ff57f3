// Set-based change detection over a batch of lines staged in `incoming`: the named statements of
// sql/staging/ingest.sql in order, under the batch's sources' locks, in its ingest transaction.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { sqlQuery, without } from '../db/index.ts';
import { HASH_VERSION } from '../lib/canonical-json.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { stopwatch } from '../lib/stopwatch.ts';
import { RangeReader } from '../raw/index.ts';
import type { BatchKeys } from './batch-keys.ts';
import { payloadRow } from './incoming-row.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);

/** Refuses to compare hashes made by another canonical form than this code's. */
export async function checkHashVersion(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ hash_version: number }>(Q('hash_version'));
  const stored = rows[0]?.hash_version;
  if (stored !== HASH_VERSION) {
    throw new UserError(`staging holds hash version ${stored}, this trawl computes version ${HASH_VERSION}: run \`trawl rehash\` first`, { exitCode: EXIT.failed });
  }
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
  await client.query(Q('drop_change_tables'));
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
      const { rows } = await client.query<{ raw_line: number; line_start: string; line_end: string }>(Q('fetch_payload_lines'));
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
      await pipeline(Readable.from(copy()), client.query(copyFrom(Q('copy_payload'))));
    }
  } finally {
    reader.close();
  }
  await client.query(Q('close_payload_lines'));
}

/** This apply's place in the order of applies; taken once its sources' locks are held. */
export async function nextApplySeq(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ seq: string }>(Q('next_apply_seq'));
  return Number(rows[0]!.seq);
}
