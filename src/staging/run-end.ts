// What a run's closing line decides when its file is ingested: which partitions of a complete crawl
// delist the keys it did not see (unless their record count collapsed), and which it becomes the
// sighting of.
import crypto from 'node:crypto';
import type pg from 'pg';
import { sqlQuery, without } from '../db/index.ts';
import { HASH_VERSION } from '../lib/canonical-json.ts';
import type { RunEnd } from '../raw/index.ts';
import type { BatchKeys } from './batch-keys.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);

/** The hash of a delisted version: a constant no content can produce. */
export const DELISTED_HASH = crypto.hash('sha256', 'trawl:delisted', 'buffer');

/** The partition name a crawl that found no record at all is recorded under. */
const NO_PARTITION = '(no records)';

/** What a run's trailer decides, before its file applies: which partitions delist, and which it sees. */
export interface RunEndPlan {
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
export async function planRunEnd(client: pg.PoolClient, rawFileId: number, end: RunEnd, keys: BatchKeys, maxMissingShare: number): Promise<RunEndPlan> {
  const keyless = await client.query<{ n: number }>(Q('count_keyless_quarantined'), [rawFileId]);
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
export async function applyRunEnd(
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
