// Locks that hold and waits that end: `etl --full` never blocks the marts' readers, even behind an
// analyst's open transaction, and a command waiting for a lock stops within seconds on SIGTERM.
import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { BIN, cliEnv } from '../helpers/run-cli.ts';
import { dropWorld, newWorld, runDay, worldEnv, type World } from './lib/fault-world.ts';

let demo: DemoServer;
let w: World;
beforeAll(async () => {
  demo = await startDemoServer({ day: 1, js: false, extraProducts: 30 });
  w = await newWorld();
  expect((await runDay(w, demo, 1)).code).toBe(EXIT.ok);
});
afterAll(async () => {
  await demo?.close();
  if (w) await dropWorld(w);
});

/** Starts a trawl command; `closed` resolves with its exit code and output. The caller kills it in a finally. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv({ ...worldEnv(w), LOG_LEVEL: 'info', LOG_FORMAT: 'json' }) });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, closed, stderr: () => stderr };
}

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: w.url });
  await c.connect();
  return c;
}

/** Polls until `done` or the limit: waits on what happens, not on a time. */
async function until(done: () => boolean | Promise<boolean>, what: string, limitMs = 120_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('locks and waits', () => {
  it('etl --full rebuilds behind an analyst’s open transaction while another analyst keeps reading', async () => {
    const holder = await client();
    const reader = await client();
    const etl = start(['etl', '--full']);
    try {
      await holder.query('SET ROLE trawl_analyst');
      await holder.query('BEGIN');
      const before = (await holder.query('SELECT count(*)::int AS n FROM mart.current_prices')).rows[0].n as number;
      expect(before).toBeGreaterThan(0);
      await reader.query('SET ROLE trawl_analyst');
      // A read that waited on a lock would fail here rather than hang the test.
      await reader.query("SET statement_timeout = '20s'");
      let reads = 0;
      let exited: { code: number | null; stderr: string } | undefined;
      void etl.closed.then((r) => (exited = r));
      while (!exited) {
        const n = (await reader.query('SELECT count(*)::int AS n FROM mart.current_prices')).rows[0].n as number;
        // Readers see a whole core, the old one or the rebuilt one, never an emptied one.
        expect(n).toBe(before);
        reads++;
      }
      expect(exited.code, exited.stderr).toBe(EXIT.ok);
      expect(reads).toBeGreaterThan(0);
      // The analyst's transaction is still open, and still reads its snapshot.
      expect((await holder.query('SELECT count(*)::int AS n FROM mart.current_prices')).rows[0].n).toBe(before);
      await holder.query('COMMIT');
      await reader.query('RESET ROLE');
      const runs = await reader.query("SELECT status FROM ops.runs WHERE step = 'etl' ORDER BY id DESC LIMIT 1");
      expect(runs.rows[0]).toEqual({ status: 'ok' });
    } finally {
      etl.child.kill('SIGKILL');
      await holder.end();
      await reader.end();
    }
  });

  it.each([
    ['etl', 7_401_003, ['etl']],
    ['export', 7_401_002, ['export']],
  ])('%s waiting for its lock stops on SIGTERM, with one line and exit 1', async (_name, key, args) => {
    const other = await client();
    // Another holder of the lock (another ETL or export, as a session of trawl's own role).
    await other.query('SELECT pg_advisory_lock($1)', [key]);
    const cmd = start(args);
    try {
      await until(() => cmd.stderr().includes('waiting for'), 'the command to wait for its lock');
      cmd.child.kill('SIGTERM');
      const r = await cmd.closed;
      expect(r.code).toBe(EXIT.failed);
      expect(r.stderr).toMatch(/trawl: stopped while waiting for .*SIGTERM/);
    } finally {
      cmd.child.kill('SIGKILL');
      await other.end();
    }
  });

  it('ingest stops on SIGTERM after the files it is applying; the next ingest lands the rest', async () => {
    const dir = path.join(w.dir, 'data', 'raw');
    // Forty small files of a new source, a minute apart.
    const files = Array.from({ length: 40 }, (_, i) =>
      writeRawFile(dir, 'stopshop', Array.from({ length: 50 }, (__, k) => ({ key: `s:${k}`, at: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(), data: { amount: i * 100 + k } }))),
    );
    const cmd = start(['ingest', '--source', 'stopshop']);
    try {
      await until(() => cmd.stderr().includes('raw file ingested'), 'a first file to land');
      cmd.child.kill('SIGTERM');
      const r = await cmd.closed;
      expect(r.code).toBe(EXIT.failed);
      expect(r.stderr).toMatch(/trawl: ingest stopped \(stopped by SIGTERM\) before \d+ of 40 file\(s\)/);
    } finally {
      cmd.child.kill('SIGKILL');
    }
    const c = await client();
    try {
      const landed = (await c.query("SELECT count(*)::int AS n FROM staging.raw_files WHERE path LIKE 'stopshop/%' AND bytes_ingested > 0")).rows[0].n as number;
      expect(landed).toBeGreaterThan(0);
      expect(landed).toBeLessThan(files.length);
      const again = start(['ingest', '--source', 'stopshop']);
      expect((await again.closed).code).toBe(EXIT.ok);
      const versions = (await c.query("SELECT count(*)::int AS n FROM staging.versions WHERE source = 'stopshop'")).rows[0].n as number;
      expect(versions).toBe(40 * 50);
    } finally {
      await c.end();
    }
  });
});
