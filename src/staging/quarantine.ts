// `trawl quarantine` and `trawl quarantine retry`: what failed validation, and a second chance for it
// after a schema fix. A line that now passes lands through the same change detection as any other.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LOCK, lockForTransaction, sqlQuery } from '../db/index.ts';
import { BatchKeys } from './batch-keys.ts';
import { isLineRefusal } from '../raw/index.ts';
import type { Logger } from '../lib/logger.ts';
import { applyIncoming, checkHashVersion, nextApplySeq } from './change-detection.ts';
import { COPY_INCOMING, toIncomingRow } from './incoming-row.ts';
import type { SourceRulebook } from './source-rules.ts';
import { decisionTimesOf, type LocateRawFile, resolveOverlappingSightings } from './overlapping-sightings.ts';

const Q = (name: string) => sqlQuery('staging/quarantine.sql', name);

export interface QuarantineRow {
  id: number;
  file: string;
  raw_line: number;
  run_id: string | null;
  source: string | null;
  key: string | null;
  reason: string;
  quarantined_at: Date;
  resolved_at: Date | null;
}

export async function listQuarantine(pool: pg.Pool, opts: { all?: boolean; limit?: number } = {}): Promise<QuarantineRow[]> {
  const { rows } = await pool.query<QuarantineRow>(Q('list'), [opts.all === true, opts.limit ?? 1000]);
  return rows;
}

export interface RetryResult {
  retried: number;
  landed: number;
  stillQuarantined: number;
  newVersions: number;
}

/** `locate`: where the raw files of crawls overlapping a retried line are read again (staging/overlapping-sightings.ts). */
export async function retryQuarantine(pool: pg.Pool, rules: SourceRulebook, locate: LocateRawFile, log: Logger): Promise<RetryResult> {
  const result: RetryResult = { retried: 0, landed: 0, stillQuarantined: 0, newVersions: 0 };
  const files = await pool.query<{ raw_file_id: number }>(Q('files_with_open_lines'));
  for (const { raw_file_id: fileId } of files.rows) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await lockForTransaction(client, LOCK.stagingWrite);
      await checkHashVersion(client);
      const open = await client.query<{ id: number; raw_line: number; run_id: string | null; line: string; reason: string }>(Q('open_lines_of_file'), [fileId]);
      const landed: number[] = [];
      const still: { id: number; reason: string }[] = [];
      const copy: string[] = [];
      const keys = new BatchKeys();
      for (const q of open.rows) {
        // A line refused for its bytes is kept only as its first bytes: no schema fix changes it.
        if (isLineRefusal(q.reason)) {
          still.push({ id: q.id, reason: q.reason });
          continue;
        }
        const row = toIncomingRow(q.line, q.raw_line, rules, q.run_id, keys, { revalidate: true });
        if (row.reason !== undefined) still.push({ id: q.id, reason: row.reason });
        else if (row.copy) {
          landed.push(q.id);
          copy.push(row.copy);
        }
      }
      await client.query(sqlQuery('staging/ingest.sql', 'create_incoming'));
      await pipeline(Readable.from(copy.length ? [copy.join('')] : []), client.query(copyFrom(COPY_INCOMING)));
      await resolveOverlappingSightings(client, Number(fileId), decisionTimesOf(keys, undefined), locate, log);
      const applied = await applyIncoming(client, Number(fileId), { records: landed.length, keys }, await nextApplySeq(client), undefined);
      await client.query(Q('resolve'), [landed]);
      for (const s of still) await client.query(Q('keep_with_reason'), [s.id, s.reason]);
      await client.query('COMMIT');
      result.retried += open.rows.length;
      result.landed += landed.length;
      result.stillQuarantined += still.length;
      result.newVersions += applied.newVersions;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  return result;
}
