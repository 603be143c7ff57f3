// Two `trawl worker` processes on one real Postgres; the one that takes the job is killed mid-run and
// the other finishes it once the job expires. Exactly one run's data lands.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, freePort } from '../helpers/run-cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let testDb: TestDatabase;
let env: Record<string, string>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-worker-'));
  testDb = await createTestDatabase();
  // A tick that never comes during the test: the run is the catch-up for the tick missed before it.
  // A killed worker's job expires after 30 s: long enough for a whole run on a busy machine (a run
  // that outlived it would be retried as if its worker had died), short enough to wait for.
  fs.writeFileSync(path.join(dir, 'schedules.json'), JSON.stringify({ demo_store: { cron: '0 6 * * *', timezone: 'UTC', timeout_minutes: 0.5 } }));
  env = {
    DATABASE_URL: testDb.url,
    TRAWL_DATA_DIR: path.join(dir, 'data'),
    EXPORT_TARGET: `file://${dir}/public`,
    SCHEDULES_FILE: path.join(dir, 'schedules.json'),
    DEMO_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
  };
});

// A test that fails or times out must not leave its workers running into the next test: they would
// take its jobs and double its counts.
afterEach(async () => {
  const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGKILL');
  await Promise.all(running.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)))));
});

afterAll(async () => {
  await testDb?.drop();
});

function startWorker(extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: cliEnv({ ...env, ...extra }) });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, log: () => log };
}

async function query(sql: string) {
  const c = new pg.Client({ connectionString: testDb.url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('trawl worker', () => {
  it('a killed worker\'s run is retried by another once its job expires, and runs once', async () => {
    const a = startWorker({ TRAWL_FAILPOINT: 'pipeline.before-ingest' });
    const killed = await a.exited;
    expect(killed.signal).toBe('SIGKILL');
    expect(a.log()).toContain('missed a scheduled run: one catch-up run');
    // A crawled, then died before ingesting: its raw file is there, nothing landed.
    expect(await query(`SELECT count(*)::int AS n FROM staging.versions`)).toEqual([{ n: 0 }]);

    const b = startWorker();
    // The job is done when pg-boss says so, after the run's export (and before B stops).
    await until('the retried job to complete', async () => (await query(`SELECT 1 FROM pgboss.job WHERE name = 'trawl-run-demo_store' AND state = 'completed'`)).length > 0, 150_000);
    // B saw A's crawl of the missed tick and queued no catch-up of its own: one retry, one export.
    expect(b.log()).not.toContain('missed a scheduled run');
    b.child.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);

    expect(await query(`SELECT count(*)::int AS n FROM ops.runs WHERE step = 'export'`)).toEqual([{ n: 1 }]);
    // Both crawls' raw files were ingested (A's too); each version landed once.
    expect(await query(`SELECT count(*)::int AS n, count(DISTINCT (key, version))::int AS d FROM staging.versions`)).toEqual([{ n: 24, d: 24 }]);
    const jobs = await query(`SELECT state, retry_count FROM pgboss.job WHERE name = 'trawl-run-demo_store' ORDER BY created_on`);
    expect(jobs).toEqual([{ state: 'completed', retry_count: 1 }]);
    // Waits for the job to expire (30 s) and a whole run on a busy machine.
  }, 240_000);

  it('two workers started together queue one run for a missed tick', async () => {
    await query(`TRUNCATE pgboss.job, ops.runs`);
    const a = startWorker();
    const b = startWorker();
    await until('a run to export', async () => (await query(`SELECT 1 FROM ops.runs WHERE step = 'export' AND status = 'ok'`)).length > 0, 90_000);
    await new Promise((r) => setTimeout(r, 2000));
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
    expect(await query(`SELECT count(*)::int AS n FROM ops.runs WHERE step = 'crawl'`)).toEqual([{ n: 1 }]);
  });

  it('two workers send one run per cron tick', async () => {
    await query(`TRUNCATE pgboss.job, ops.runs`);
    fs.writeFileSync(path.join(dir, 'every-minute.json'), JSON.stringify({ demo_store: { cron: '* * * * *', timezone: 'UTC', timeout_minutes: 2 } }));
    // A crawl just now: no catch-up, so every run below comes from a tick.
    await query(`INSERT INTO ops.runs (step, spider, status, started_at) VALUES ('crawl', 'demo_store', 'ok', now())`);
    const extra = { SCHEDULES_FILE: path.join(dir, 'every-minute.json') };
    const a = startWorker(extra);
    const b = startWorker(extra);
    const jobs = () => query(`SELECT state, date_trunc('minute', created_on) AS minute FROM pgboss.job WHERE name = 'trawl-run-demo_store'`);
    await until('a tick to run', async () => (await jobs()).some((j) => j.state === 'completed'), 100_000);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
    const sent = await jobs();
    const minutes = new Set(sent.map((j) => (j.minute as Date).toISOString()));
    expect(sent.length).toBe(minutes.size);
    const crawls = await query(`SELECT count(*)::int AS n FROM ops.runs WHERE step = 'crawl' AND started_at > (SELECT min(started_at) FROM ops.runs)`);
    expect(crawls[0].n).toBe(sent.filter((j) => j.state === 'completed').length);
  });
});
