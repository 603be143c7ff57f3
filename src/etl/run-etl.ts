// `trawl etl`: runs sql/etl/NNN_*.sql in order in one REPEATABLE READ transaction, from the watermark.
// Its snapshot is taken while no writer of versions is in flight (the staging lock, src/db/locks.ts),
// so the watermark never skips a version id.
import fs from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { cancelRunningStatement, closeRun, type Database, failRun, LOCK, openRun, SQL_DIR, sqlQuery, takeLockPatiently, unlock, unlockAll } from '../db/index.ts';
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { failpoint } from '../lib/failpoint.ts';

export const ETL_DIR = path.join(SQL_DIR, 'etl');
const Q = (name: string) => sqlQuery('etl/run-etl.sql', name);

/** The staging models the steps read, one per entity (sql/staging/<entity>.sql, statement `model`). */
const STAGING_MODELS = ['staging/offers.sql'];

export interface EtlOptions {
  database: Database;
  log: Logger;
  /** Rebuild core from all of staging. */
  full?: boolean;
  pipelineId?: string | null;
  spider?: string | null;
  /** Stops the ETL (rolled back) within seconds: a lock wait ends, a running statement is cancelled. */
  signal?: AbortSignal;
}

export interface EtlResult {
  full: boolean;
  fromWatermark: number;
  toWatermark: number;
  keys: number;
  priceRows: number;
  steps: string[];
  durationMs: number;
}

export const CHECKS_DIR = path.join(SQL_DIR, 'checks');

export class EtlCheckError extends Error {
  constructor(
    readonly check: string,
    readonly samples: Record<string, unknown>[],
  ) {
    super(`data check ${check} failed: ${JSON.stringify(samples)}`);
    this.name = 'EtlCheckError';
  }
}

/**
 * Runs sql/checks/*.sql over the listings in the temp table etl_scope; each must return no rows.
 * The first that returns rows throws, naming it with up to five sample rows.
 */
export async function runChecks(client: PoolClient, dir = CHECKS_DIR, only?: string): Promise<string[]> {
  const checks = fs.readdirSync(dir).filter((f) => f.endsWith('.sql') && (only === undefined || f === only)).sort();
  for (const file of checks) {
    const sql = fs.readFileSync(path.join(dir, file), 'utf8').trim().replace(/;$/, '');
    const description = /^-- check: (.+)$/m.exec(sql)?.[1] ?? file;
    const cursor = client.query(new Cursor(sql));
    const rows = await cursor.read(5);
    await cursor.close();
    if (rows.length > 0) throw new EtlCheckError(`${file.replace(/\.sql$/, '')} (${description})`, rows);
  }
  return checks;
}

export function etlSteps(dir = ETL_DIR): string[] {
  return fs.readdirSync(dir).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
}

/**
 * Builds core from staging above the watermark (everything with `full`) in one REPEATABLE READ
 * transaction, checks it, and moves the watermark.
 *
 * @example
 * const r = await runEtl({ database, log });
 * // r.keys, r.priceRows, r.fromWatermark..r.toWatermark
 */
export async function runEtl(opts: EtlOptions): Promise<EtlResult> {
  const started = Date.now();
  const runId = await openRun(opts.database.db, 'etl', opts.spider ?? null, opts.pipelineId ?? null);
  const client = await opts.database.pool.connect();
  const steps = etlSteps();
  // A stop cancels the statement running now: the transaction then fails and rolls back.
  const cancel = () => void cancelRunningStatement(opts.database.pool, client).catch(() => undefined);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    // Session lock before the transaction, so the transaction's snapshot is taken after the wait.
    await takeLockPatiently(client, LOCK.etl, { what: 'the ETL lock (another ETL runs)', log: opts.log, signal: opts.signal });
    // Writers of different sources commit side by side, so ids need not commit in order: the
    // snapshot is taken while no writer is in flight, and every id after it will be higher.
    await takeLockPatiently(client, LOCK.stagingWrite, { what: 'staging writers to finish', log: opts.log, signal: opts.signal });
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const state = await client.query<{ watermark: number }>(Q('watermark'));
    await unlock(client, LOCK.stagingWrite);
    const from = opts.full ? 0 : state.rows[0]!.watermark;
    const max = await client.query<{ max: number | null }>(Q('last_version_id'));
    const to = max.rows[0]!.max ?? 0;
    // Emptied without blocking readers (they see the old rows until the rebuild commits).
    if (opts.full) await client.query(sqlQuery('etl/full-rebuild.sql', 'empty_core'));
    await client.query(Q('create_params'), [from, opts.full === true]);
    for (const model of STAGING_MODELS) await client.query(sqlQuery(model, 'model'));
    for (const step of steps) {
      // A stop between two statements has nothing to cancel: it ends the ETL here.
      if (opts.signal?.aborted) throw new Error(`etl stopped before ${step} (${messageOf(opts.signal.reason)}): rolled back, the watermark stays`);
      const t = Date.now();
      try {
        await client.query(fs.readFileSync(path.join(ETL_DIR, step), 'utf8'));
      } catch (err) {
        throw new Error(`etl step ${step}: ${messageOf(err)}`, { cause: err });
      }
      opts.log.debug({ step, ms: Date.now() - t }, 'etl step done');
      failpoint('etl.step');
    }
    await client.query(Q('create_scope'));
    failpoint('etl.before-checks');
    await runChecks(client);
    const counts = await client.query<{ keys: number; prices: number }>(Q('counts'));
    await client.query(Q('set_watermark'), [to]);
    failpoint('etl.before-commit');
    await client.query('COMMIT');
    failpoint('etl.after-commit');
    const result: EtlResult = {
      full: opts.full === true,
      fromWatermark: from,
      toWatermark: to,
      keys: counts.rows[0]!.keys,
      priceRows: counts.rows[0]!.prices,
      steps,
      durationMs: Date.now() - started,
    };
    await closeRun(opts.database.db, runId, 'ok', { records: result.keys, new_versions: result.priceRows });
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    await failRun(opts.database.db, runId, { message: messageOf(err) });
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
    // The ETL lock, and the staging lock if a failure came before its unlock.
    await unlockAll(client).catch(() => undefined);
    client.release();
  }
}
