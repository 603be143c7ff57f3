// A fresh database for a benchmark on the configured server (DATABASE_URL, or the embedded default).
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { silentLogger } from '../../src/lib/logger.ts';

export async function benchDatabase(name: string): Promise<{ database: Database; config: Config; url: string; embedded: boolean; close(): Promise<void> }> {
  const base = loadConfig();
  const admin = await openDatabase(base, silentLogger, { migrate: false });
  const dbName = `trawl_bench_${name}`;
  await admin.pool.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
  await admin.pool.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)}`);
  const url = new URL(admin.url);
  url.pathname = `/${dbName}`;
  const config = { ...base, databaseUrl: url.toString() };
  const database = await openDatabase(config, silentLogger);
  return {
    database,
    config,
    url: url.toString(),
    embedded: !base.databaseUrl,
    async close() {
      await database.close();
      await admin.pool.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
      await admin.close();
    },
  };
}
