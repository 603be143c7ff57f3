// One run per spider at a time, across processes and machines: a session advisory lock per spider,
// held on a connection of its own that the run watches. The lock dies with its connection, so a
// killed run never leaves a spider locked; and a run whose connection dies (a Postgres restart, a
// terminated backend, idle_session_timeout) no longer holds it, so it must stop at once: `lost`
// aborts, and the crawl closes its raw file incomplete as on SIGTERM.
import pg from 'pg';
import { LOCK } from './locks.ts';
import { EXIT, UserError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** The run's spider lock ended with its connection: the run stops, its raw file closed incomplete. */
export class LockLostError extends Error {
  constructor(spiders: string[], cause: unknown) {
    super(`lost the lock of ${spiders.join(', ')} (its database connection ended: ${messageOf(cause)}): stopped; the raw file is closed incomplete and kept for the next ingest`, { cause });
    this.name = 'LockLostError';
  }
}

export interface SpiderLocks {
  /** Aborts, with a LockLostError as its reason, when the lock's connection ends before release. */
  lost: AbortSignal;
  release(): Promise<void>;
}

/** How often an idle lock connection is asked whether it still stands: a dead peer sends no error. */
const HEARTBEAT_MS = 5_000;

/** Takes every spider's (or `spider/partition`'s) lock or none; one already running makes this throw with exit code 4. */
export async function lockSpiders(databaseUrl: string, spiders: string[], log: Logger): Promise<SpiderLocks> {
  const sorted = [...new Set(spiders)].sort();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: `trawl lock ${sorted.join(',')}`, keepAlive: true, query_timeout: 10_000 });
  const controller = new AbortController();
  let released = false;
  const lose = (cause: unknown) => {
    if (released || controller.signal.aborted) return;
    log.error({ err: messageOf(cause) }, 'spider lock lost: stopping the run');
    controller.abort(new LockLostError(sorted, cause));
  };
  client.on('error', lose);
  client.on('end', () => lose(new Error('connection closed')));
  await client.connect();
  try {
    for (const name of sorted) {
      // `steam/us`, one partition's run: it shares the spider's lock with runs of its other partitions,
      // which a whole run of the spider takes alone, and holds the partition's own.
      const [spider, partition] = name.split('/');
      if (partition !== undefined) {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock_shared($1, hashtext($2)) AS ok', [LOCK.spiderClass, spider]);
        if (!rows[0]!.ok) throw new UserError(`${spider} is already running over its whole scope (another trawl run holds its lock)`, { exitCode: EXIT.locked });
      }
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK.spiderClass, name]);
      if (!rows[0]!.ok) throw new UserError(`${name} is already running (another trawl run holds its lock)`, { exitCode: EXIT.locked });
    }
  } catch (err) {
    released = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  const heartbeat = setInterval(() => {
    client.query('SELECT 1').catch(lose);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    lost: controller.signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Ending the session releases its locks.
      await client.end().catch(() => undefined);
    },
  };
}
