// `trawl quarantine` and `trawl quarantine retry`: what failed validation, and a second chance for it
// after a schema fix. A line that now passes lands through the same change detection as any other.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LOCK } from '../db/index.ts';
import { sqlQuery } from '../db/index.ts';
import type { SpiderDefinition } from '../spiders/index.ts';
import { BatchKeys } from './batch-keys.ts';
import { isLineRefusal } from '../raw/index.ts';
import type { Logger } from '../lib/logger.ts';
import { applyIncoming, checkHashVersion, nextApplySeq } from './change-detection.ts';
import { COPY_INCOMING, toIncomingRow } from './incoming-row.ts';
import { decisionTimesOf, resolveOverlappingSightings, type LocateRawFile } from './overlapping-sightings.ts';

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
  const { rows } = await pool.query<QuarantineRow>(
    `SELECT q.id, f.path AS file, q.raw_line, q.run_id, q.source, q.key, q.reason, q.quarantined_at, q.resolved_at
     FROM staging.quarantine q JOIN staging.raw_files f ON f.id = q.raw_file_id
     WHERE $1 OR q.resolved_at IS NULL
     ORDER BY q.id
     LIMIT $2`,
    [opts.all === true, opts.limit ?? 1000],
  );
  return rows;
}

export interface RetryResult {
  retried: number;
  landed: number;
  stillQuarantined: number;
  newVersions: number;
}

/** `locate`: where the raw files of crawls overlapping a retried line are read again (staging/overlapping-sightings.ts). */
export async function retryQuarantine(pool: pg.Pool, spiders: Map<string, SpiderDefinition>, locate: LocateRawFile, log: Logger): Promise<RetryResult> {
  const result: RetryResult = { retried: 0, landed: 0, stillQuarantined: 0, newVersions: 0 };
  const files = await pool.query<{ raw_file_id: number }>(
    'SELECT DISTINCT raw_file_id FROM staging.quarantine WHERE resolved_at IS NULL ORDER BY raw_file_id',
  );
  for (const { raw_file_id: fileId } of files.rows) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK.stagingWrite]);
      await checkHashVersion(client);
      const open = await client.query<{ id: number; raw_line: number; run_id: string | null; line: string; reason: string }>(
        'SELECT id, raw_line, run_id, line, reason FROM staging.quarantine WHERE raw_file_id = $1 AND resolved_at IS NULL ORDER BY raw_line FOR UPDATE',
        [fileId],
      );
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
        const row = toIncomingRow(q.line, q.raw_line, spiders, q.run_id, keys, { revalidate: true });
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
      await client.query('UPDATE staging.quarantine SET resolved_at = now(), retried_at = now() WHERE id = ANY($1)', [landed]);
      for (const s of still) await client.query('UPDATE staging.quarantine SET reason = $2, retried_at = now() WHERE id = $1', [s.id, s.reason]);
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
