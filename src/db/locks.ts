// Advisory lock keys.
//
// STAGING_WRITE orders writers of staging versions against the ETL. An ingest holds it shared, and
// each source it writes exclusively (SOURCE_WRITE, hashtext(source)), so files of different sources
// apply side by side while two files of one source take turns. Writers that touch every source
// (quarantine retry, rehash) hold STAGING_WRITE exclusively. The ETL takes it exclusively only to
// take its snapshot: then no writer is in flight, every version id the snapshot shows is committed,
// and every id still to come is higher, so the watermark never skips one.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../lib/logger.ts';

export const LOCK = {
  stagingWrite: 7_401_001,
  export: 7_401_002,
  etl: 7_401_003,
  /** Changing the database's own rights (one migrating command at a time). */
  databaseRights: 7_401_004,
  /** Applying changed sql/marts files (src/db/apply-marts.ts). */
  marts: 7_401_005,
  /** One lake export at a time (src/export/run-lake-export.ts). */
  lake: 7_401_006,
  /** Two-key locks: (class, hashtext(spider)). */
  spiderClass: 7_401_100,
  catchUpClass: 7_401_200,
  /** Two-key lock: (class, hashtext(source)), a writer of that source's versions. */
  sourceWriteClass: 7_401_300,
} as const;

/**
 * Takes, until the transaction ends, what an ingest needs to write versions of `sources`: the
 * staging lock shared, then each source's lock in one order (two writers of overlapping sources
 * cannot deadlock).
 */
export async function lockSourcesForWrite(client: pg.ClientBase, sources: Iterable<string>): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1)', [LOCK.stagingWrite]);
  for (const source of [...new Set(sources)].sort()) await lockForTransaction(client, LOCK.sourceWriteClass, source);
}

/** How long one attempt at a lock waits, and how the pauses between attempts grow. */
const LOCK_ATTEMPT_MS = 2_000;
const LOCK_PAUSE_MS = 250;
const LOCK_PAUSE_MAX_MS = 5_000;

/** A command stopped (SIGTERM, Ctrl-C) while it waited for a lock. */
export class LockWaitStoppedError extends Error {
  constructor(what: string, reason: unknown) {
    super(`stopped while waiting for ${what}: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'LockWaitStoppedError';
  }
}

/**
 * Runs `attempt` again and again, with growing pauses, while it fails for a lock it could not get within
 * its lock_timeout (55P03): never queued for long (a queued lock request blocks every later one
 * behind it), and a stop signal ends the wait within seconds. `what` names what is waited for in the
 * log, which says the command waits (first attempt, then every tenth), and in the error.
 */
export async function retryWhileLocked<T>(attempt: () => Promise<T>, opts: { what: string; log: Logger; signal?: AbortSignal }): Promise<T> {
  for (let n = 1; ; n++) {
    if (opts.signal?.aborted) throw new LockWaitStoppedError(opts.what, opts.signal.reason);
    try {
      return await attempt();
    } catch (err) {
      // 55P03: lock_not_available, the attempt timed out.
      if ((err as { code?: string }).code !== '55P03') throw err;
    }
    if (n === 1 || n % 10 === 0) opts.log.info({ attempt: n }, `waiting for ${opts.what}`);
    // An abort ends the pause early; the loop then throws.
    await sleep(Math.min(LOCK_PAUSE_MAX_MS, LOCK_PAUSE_MS * 2 ** (n - 1)), undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/** Takes session lock `id`, in attempts of LOCK_ATTEMPT_MS (retryWhileLocked). */
export async function takeLockPatiently(client: pg.ClientBase, id: number, opts: { what: string; log: Logger; signal?: AbortSignal }): Promise<void> {
  await client.query("SELECT set_config('lock_timeout', $1, false)", [`${LOCK_ATTEMPT_MS}ms`]);
  try {
    await retryWhileLocked(() => client.query('SELECT pg_advisory_lock($1)', [id]), opts);
  } finally {
    await client.query("SELECT set_config('lock_timeout', '0', false)").catch(() => undefined);
  }
}

/** Releases session lock `id`. */
export async function unlock(client: pg.ClientBase, id: number): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [id]);
}

/** Releases every session lock this connection holds (what a failure left taken). */
export async function unlockAll(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock_all()');
}

/** Takes lock `id` (with a text key: the two-key lock of class `id`) until the transaction ends. */
export async function lockForTransaction(client: pg.ClientBase, id: number, key?: string): Promise<void> {
  if (key === undefined) await client.query('SELECT pg_advisory_xact_lock($1)', [id]);
  else await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [id, key]);
}
