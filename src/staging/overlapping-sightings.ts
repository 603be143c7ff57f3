// Crawls of one partition whose windows overlap. A partition's sighting (its latest complete crawl)
// stands for every key it covers as "seen by the crawl's end", so the daily unchanged ingest writes
// no rows. A file that decides at a time inside that window (a line observed there, or a complete
// crawl that started there) needs each key's real time instead: otherwise a real change observed
// before the sighting crawl's end is taken for old news, and a key the sighting crawl saw early is
// delisted a crawl late. Such a file first reads the sighting crawl's own times back from its raw
// file into the keys' rows; from then on that sighting covers none of them.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyRow, sqlQuery } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import { canonicalKey, isInsideRawDir, readLines, readRawRecord, type RunEnd } from '../raw/index.ts';
import type { BatchKeys } from './batch-keys.ts';

const Q = (name: string) => sqlQuery('staging/overlap.sql', name);

/** Where a ledgered raw file can be read now (a local path), or undefined when it cannot. */
export type LocateRawFile = (ledgerPath: string) => Promise<string | undefined>;

/** Finds ledgered raw files under the raw folder (an object's ledger path, s3://…, is not there). */
export function locateUnder(rawDir: string): LocateRawFile {
  return async (ledgerPath) => {
    if (ledgerPath.includes('://') || path.isAbsolute(ledgerPath)) return undefined;
    const file = path.join(rawDir, ledgerPath);
    return fs.existsSync(file) && isInsideRawDir(rawDir, file) ? file : undefined;
  };
}

/** Per source, the earliest and latest times a file decides at, as parallel text arrays (Postgres keeps their microseconds). */
export interface DecisionTimes {
  first: { sources: string[]; at: string[] };
  last: { sources: string[]; at: string[] };
}

/**
 * The times a file decides at, per source: its records' observations, and a complete crawl's start
 * (it delists what was last seen before then).
 */
export function decisionTimesOf(keys: BatchKeys, trailer: RunEnd | undefined): DecisionTimes {
  const times: DecisionTimes = { first: { sources: [], at: [] }, last: { sources: [], at: [] } };
  const add = (to: { sources: string[]; at: string[] }, source: string, at: string[]) => {
    for (const a of at) {
      to.sources.push(source);
      to.at.push(a);
    }
  };
  for (const source of new Set(keys.kindsOfRecord().sources)) {
    add(times.first, source, keys.firstObserved(source).at);
    add(times.last, source, keys.lastObserved(source).at);
  }
  if (trailer?.complete) {
    add(times.first, trailer.source, [trailer.started_at]);
    add(times.last, trailer.source, [trailer.started_at]);
  }
  return times;
}

export interface OverlapResult {
  /** Sightings whose keys now carry their own times. */
  resolved: number;
  /** Sightings whose raw file could not be read: their keys keep the crawl's end as their time. */
  unreadable: string[];
}

/**
 * Before change detection of raw file `rawFileId`, in its transaction and under its sources' locks:
 * writes the own observation times of the keys of every sighting whose window the file's decision
 * times fall in. A sighting whose file cannot be read (pruned, an object gone) is left as it is and
 * named in the result: its keys are then compared against its crawl's end, as before.
 */
export async function resolveOverlappingSightings(
  client: pg.PoolClient,
  rawFileId: number,
  times: DecisionTimes,
  locate: LocateRawFile,
  log: Logger,
): Promise<OverlapResult> {
  const result: OverlapResult = { resolved: 0, unreadable: [] };
  if (times.first.sources.length === 0) return result;
  const { rows } = await client.query<{ source: string; partition: string; apply_seq: string; path: string }>(Q('overlapped_sightings'), [
    times.first.sources, times.first.at, times.last.sources, times.last.at, rawFileId,
  ]);
  for (const w of rows) {
    const file = await locate(w.path).catch(() => undefined);
    if (file === undefined) {
      result.unreadable.push(w.path);
      log.warn({ file: w.path, source: w.source, partition: w.partition }, 'a crawl overlapping this file cannot be read again: its keys are compared against its end');
      continue;
    }
    await client.query(Q('create_sighted'));
    await pipeline(Readable.from(sightedRows(file, w.source)), client.query(copyFrom(Q('copy_sighted'))));
    const params = [w.source, w.partition, w.apply_seq];
    await client.query(Q('write_sighted_times'), params);
    await client.query(Q('uncover_sighted'), params);
    await client.query(Q('mark_exact'), [w.source, w.partition]);
    await client.query(Q('drop_sighted'));
    result.resolved++;
  }
  return result;
}

/**
 * COPY rows of a raw file's records of `source`: entity, key (as ingest normalises it) and time.
 * Lines that are not records are passed over: their keys were never covered by the sighting.
 */
async function* sightedRows(file: string, source: string): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of readLines(file, { bytes: 0, lines: 0 }, { whole: true })) {
    if (line.refused) continue;
    let parsed: ReturnType<typeof readRawRecord>;
    try {
      parsed = readRawRecord(JSON.parse(line.text));
    } catch {
      continue;
    }
    if (!parsed.ok) continue;
    const r = parsed.record;
    if (r.source !== source || r.key === null || r.invalid !== undefined) continue;
    chunk += copyRow([r.entity, canonicalKey(r.key), r.observed_at]);
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
