// A fresh database per test file, cloned from the migrated template in milliseconds.
import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { silentLogger } from '../../src/lib/logger.ts';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `trawl_t_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE ' + pg.escapeIdentifier(name) + ' TEMPLATE ' + pg.escapeIdentifier(inject('templateDb')));
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query('DROP DATABASE IF EXISTS ' + pg.escapeIdentifier(name) + ' WITH (FORCE)');
      await c.end();
    },
  };
}

/** A test database opened the way commands open theirs, with a config rooted in `dir`. */
export async function openTestDatabase(dir: string, env: Record<string, string> = {}): Promise<{ database: Database; config: Config; testDb: TestDatabase }> {
  const testDb = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: testDb.url, TRAWL_DATA_DIR: `${dir}/data`, EXPORT_TARGET: `file://${dir}/public`, LOG_LEVEL: 'silent', ...env }, dir);
  const database = await openDatabase(config, silentLogger);
  return { database, config, testDb };
}
