// `trawl worker`: the schedules, run by pg-boss on the shared Postgres, for one VM or several.
//  - one run per tick across all workers: pg-boss's cron scheduler sends each tick once;
//  - never two runs of one spider at once: a 'stately' queue per spider (one queued, one active),
//    plus the spider's advisory lock inside the run;
//  - a dead worker's job expires after the schedule's timeout and another worker retries it (its
//    advisory lock died with its connection);
//  - missed ticks (every worker was down) give one catch-up run at start.
import PgBoss from 'pg-boss';
import type { Config } from '../config.ts';
import { type Database, LOCK, lockForTransaction, sqlQuery } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { EXIT, messageOf, UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { runPipeline } from './run-pipeline.ts';
import { resolveSpiders } from '../spiders/index.ts';
import { previousTick, type Schedule } from '../schedule/index.ts';

const Q = (name: string) => sqlQuery('pipeline/run-worker.sql', name);

export const queueName = (spider: string) => `trawl-run-${spider}`;

export interface WorkerOptions {
  config: Config;
  database: Database;
  log: Logger;
  clock: Clock;
  schedules: Schedule[];
  signal: AbortSignal;
  /** How often an idle worker looks for a job (default 2 s). */
  pollSeconds?: number;
}

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const { config, database, log, schedules } = opts;
  const spiders = await resolveSpiders(schedules.map((s) => s.spider));
  // Expired jobs (a dead worker's) are found by pg-boss's maintenance: run it often enough for the
  // shortest run timeout to be noticed within a quarter of it.
  const shortest = Math.min(...schedules.map((s) => s.timeout_minutes * 60));
  const boss = new PgBoss({
    connectionString: database.url,
    schema: 'pgboss',
    application_name: 'trawl-worker',
    max: 4,
    maintenanceIntervalSeconds: Math.max(1, Math.min(120, Math.floor(shortest / 4))),
  });
  boss.on('error', (err) => log.error({ err: messageOf(err) }, 'job queue error'));
  await boss.start();
  try {
    for (const s of schedules) {
      const queue = queueName(s.spider);
      const settings = { name: queue, policy: 'stately' as const, expireInSeconds: Math.round(s.timeout_minutes * 60), retryLimit: 3, retryDelay: 5 };
      await boss.createQueue(queue, settings);
      await boss.updateQueue(queue, settings);
      await boss.schedule(queue, s.cron, { spider: s.spider }, { tz: s.timezone });
      await queueCatchUp(boss, database, s, log);
    }
    for (const spider of spiders) {
      await boss.work<{ spider: string }>(queueName(spider.name), { pollingIntervalSeconds: opts.pollSeconds ?? 2 }, async ([job]) => {
        log.info({ spider: spider.name, job: job?.id }, 'scheduled run starting');
        try {
          const r = await runPipeline({ spiders: [spider], config, database, log, clock: opts.clock, signal: opts.signal });
          log.info({ spider: spider.name, new_versions: r.ingest.newVersions, exported: r.export.uploaded }, 'scheduled run done');
        } catch (err) {
          // Another worker's run of this spider holds the lock: this tick is that run's, not a failure.
          if (err instanceof UserError && err.exitCode === EXIT.locked) {
            log.warn({ spider: spider.name }, err.message);
            return;
          }
          throw err;
        }
      });
    }
    log.info({ spiders: spiders.map((s) => s.name) }, 'worker ready');
    await new Promise((resolve) => opts.signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
  }
}

/**
 * Queues one catch-up run when the latest tick passed with no crawl since. Workers starting together
 * decide one at a time (an advisory lock), and the job is keyed by its tick, so it is queued once.
 */
async function queueCatchUp(boss: PgBoss, database: Database, s: Schedule, log: Logger): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query('BEGIN');
    await lockForTransaction(client, LOCK.catchUpClass, s.spider);
    const tick = await missedTick(database, s, new Date());
    if (!tick) return;
    const key = `catch-up:${tick.toISOString()}`;
    const queued = await client.query(Q('queued'), [queueName(s.spider), key]);
    if (queued.rowCount) return;
    await boss.send(queueName(s.spider), { spider: s.spider, catchUp: true }, { singletonKey: key });
    log.info({ spider: s.spider, tick }, 'missed a scheduled run: one catch-up run');
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    client.release();
  }
}

/** The latest tick, if it passed with no crawl of the spider since (workers were all down); a crawl that was killed counts, as its job is retried. */
async function missedTick(database: Database, s: Schedule, now: Date): Promise<Date | undefined> {
  const tick = previousTick(s, now);
  const { rows } = await database.pool.query<{ last: Date | null }>(Q('last_crawl_start'), [s.spider]);
  return rows[0]!.last === null || rows[0]!.last < tick ? tick : undefined;
}
