// Opens the database every command uses: DATABASE_URL, or the embedded Postgres when it is unset.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { UserError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { redactSecrets } from '../lib/redact-secrets.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { migrateUp } from './migrate.ts';
import type { DB } from './schema.ts';

// bigint and numeric columns arrive as strings; counts in this app stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface Database {
  db: Kysely<DB>;
  pool: pg.Pool;
  url: string;
  close(): Promise<void>;
}

/** What opening the database reads of the configuration. */
export interface DatabaseSettings {
  databaseUrl: string | undefined;
  embeddedPg: { dir: string | undefined; port: number };
  projectRoot: string;
  dataDir: string;
}

/**
 * The pool and kysely over DATABASE_URL, or over an embedded Postgres when it is unset; migrated unless
 * told not to. A database that cannot be used is one UserError line.
 *
 * @example
 * const database = await openDatabase(config, log);
 * try { await database.pool.query('...'); } finally { await database.close(); }
 */
export async function openDatabase(config: DatabaseSettings, log: Logger, opts: { migrate?: boolean } = {}): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dir: config.embeddedPg.dir,
      port: config.embeddedPg.port,
      projectKey: config.projectRoot,
      dataDir: config.dataDir,
      log,
    });
    url = embedded.url;
  }
  const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000, application_name: 'trawl' });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', (err) => log.warn({ err: messageOf(err) }, 'idle database connection lost'));
  // Nor a client in use (a COPY when the server restarts): the query it runs fails with the error.
  pool.on('connect', (client) => client.on('error', (err) => log.debug({ err: messageOf(err) }, 'database connection lost')));
  try {
    await pool.query('SELECT 1');
    if (opts.migrate !== false) await migrateUp(url, log);
  } catch (cause) {
    await pool.end().catch(() => undefined);
    await embedded?.release();
    if (cause instanceof UserError) throw cause;
    throw new UserError(`database: cannot use ${redactSecrets(url)}: ${messageOf(cause)}`, { cause });
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy().catch(() => undefined);
      // kysely ends the pool only if it used it; a command that failed early may not have.
      if (!pool.ended) await pool.end().catch(() => undefined);
      await embedded?.release();
    },
  };
}

/** Creates the database a URL names when the server does not have it (a lost database, a new server). */
export async function createDatabaseIfMissing(url: string, log: Logger): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw new UserError(`cannot connect to ${redactSecrets(url)}: ${messageOf(err)}`, { cause: err });
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  log.info({ database: name }, 'database created');
  return true;
}
