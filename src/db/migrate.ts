// Schema changes are plain SQL files in migrations/, applied by node-pg-migrate under its advisory lock.
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../lib/logger.ts';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations');

/** Applies pending migrations; returns the names applied. Concurrent callers wait for each other. */
export async function migrateUp(databaseUrl: string, log: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    advisoryLockMode: 'wait',
    log: (msg: string) => log.debug(msg),
  });
  for (const m of applied) log.info({ migration: m.name }, 'migration applied');
  return applied.map((m) => m.name);
}
