// Schema changes are plain SQL files in migrations/, applied by node-pg-migrate under its advisory lock.
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import { messageOf } from '../lib/errors.ts';
import { applyMarts } from './apply-marts.ts';
import { LOCK } from './locks.ts';
import { sqlQuery } from './sql-file.ts';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations');

/** Applies pending migrations, then changed marts; returns the migrations applied. Concurrent callers wait for each other. */
export async function migrateUp(databaseUrl: string, log: Logger): Promise<string[]> {
  // The connection is ours, not node-pg-migrate's: it ends its own without waiting and with no error
  // listener, so a server stopping right after (the embedded one, at the end of a short command)
  // could reach it before its goodbye did, and crash the process with an unhandled 'error'.
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'trawl migrate' });
  client.on('error', (err) => log.debug({ err: messageOf(err) }, 'migration connection lost'));
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      checkOrder: true,
      advisoryLockMode: 'wait',
      log: (msg: string) => log.debug(msg),
    });
    for (const m of applied) log.info({ migration: m.name }, 'migration applied');
    await restrictDatabase(client);
    // The marts are no migrations (sql/marts): a new database gets them here, an upgraded one the
    // views whose files changed.
    const marts = await applyMarts(client, log);
    if (marts.length) log.info({ marts }, 'marts applied');
    return applied.map((m) => m.name);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The database's own rights, which no migration carries to a copy of the database (sql/db/database-privileges.sql). */
async function restrictDatabase(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK.databaseRights]);
    await client.query(sqlQuery('db/database-privileges.sql', 'restrict_database'));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
