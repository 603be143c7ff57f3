// One migrated template database per test run; each test file clones its own from it.
// DATABASE_URL points at the server to use; without it, an embedded Postgres is started for the run.
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { migrateUp } from '../src/db/migrate.ts';
import { silentLogger } from '../src/lib/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

let embedded: EmbeddedPostgres | undefined;

export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({
      dir: process.env.EMBEDDED_PG_DIR,
      port: Number(process.env.TEST_EMBEDDED_PG_PORT ?? 54339),
      projectKey: `${process.cwd()}#tests`,
      dataDir: `${process.cwd()}/data/test`,
      log: silentLogger,
    });
    adminUrl = embedded.url;
  }
  const templateDb = `trawl_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(templateDb)}`);
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(templateDb)}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${templateDb}`;
  await migrateUp(url.toString(), silentLogger);
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);

  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(templateDb)} WITH (FORCE)`);
    await client.end();
    await embedded?.release();
  };
}
