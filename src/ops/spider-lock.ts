// One run per spider at a time, across processes and machines: a session advisory lock per spider.
// It dies with its connection, so a killed run never leaves a spider locked.
import type pg from 'pg';
import { LOCK } from '../db/locks.ts';
import { EXIT, UserError } from '../lib/errors.ts';


export interface SpiderLocks {
  release(): Promise<void>;
}

/** Takes every spider's lock or none; a spider already running makes this throw with exit code 4. */
export async function lockSpiders(pool: pg.Pool, spiders: string[]): Promise<SpiderLocks> {
  const client = await pool.connect();
  const held: string[] = [];
  try {
    for (const spider of [...new Set(spiders)].sort()) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK.spiderClass, spider]);
      if (!rows[0]!.ok) throw new UserError(`${spider} is already running (another trawl run holds its lock)`, { exitCode: EXIT.locked });
      held.push(spider);
    }
  } catch (err) {
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    client.release();
    throw err;
  }
  return {
    async release() {
      await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      client.release();
    },
  };
}
