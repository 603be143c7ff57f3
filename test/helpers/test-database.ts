// A fresh database per test file, cloned from the migrated template in milliseconds.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeEach, inject } from 'vitest';
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
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(inject('templateDb'))}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
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

export interface FreshDatabase {
  readonly database: Database;
  readonly rawDir: string;
  readonly dir: string;
}

/** A new database and folder for every test of the file (registered as vitest hooks). */
export function freshDatabaseEachTest(prefix: string): FreshDatabase {
  let state: { database: Database; testDb: TestDatabase; dir: string } | undefined;
  const drop = async () => {
    if (!state) return;
    await state.database.close();
    await state.testDb.drop();
    state = undefined;
  };
  beforeEach(async () => {
    await drop();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `trawl-${prefix}-`));
    const { database, testDb } = await openTestDatabase(dir);
    state = { database, testDb, dir };
  });
  afterAll(drop);
  return {
    get database() {
      return state!.database;
    },
    get dir() {
      return state!.dir;
    },
    get rawDir() {
      return path.join(state!.dir, 'data', 'raw');
    },
  };
}
