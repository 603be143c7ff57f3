// Postgres goes away: during a crawl (the crawl needs no database and lands its raw file; a later
// ingest lands everything) and in the middle of an ingest (it fails cleanly; the re-run completes).
// The cluster is the test's own, on its own port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { readRawLines, writeRawFile } from '../helpers/raw-files.ts';
import { BIN, cliEnv, freePort, runCli } from '../helpers/run-cli.ts';
import { startOwnPostgres, type OwnPostgres } from './lib/own-postgres.ts';

let own: OwnPostgres;
let demo: DemoServer;

beforeAll(async () => {
  own = await startOwnPostgres();
  demo = await startDemoServer({ day: 1, extraProducts: 60, js: false });
});
afterAll(async () => {
  await demo?.close();
  own?.destroy();
});

const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
  const c = new pg.Client({ connectionString: own.url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
};

describe('Postgres failures', () => {
  it('unavailable during a crawl: the crawl lands its raw file, a later ingest lands everything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-pg-down-'));
    const env = { DATABASE_URL: own.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: `file://${dir}/public` };
    // The cluster stops while the crawl runs; a crawl never needs it.
    const crawl = spawn(process.execPath, [BIN, 'crawl', 'demo_store', '--day', '1', '--base-url', demo.baseUrl], { env: cliEnv(env) });
    const exited = new Promise<number | null>((r) => crawl.on('close', r));
    const before = demo.requests.length;
    while (demo.requests.length - before < 10) await new Promise((r) => setTimeout(r, 20));
    own.stop();
    expect(await exited).toBe(EXIT.ok);
    const file = fs.readdirSync(path.join(dir, 'data', 'raw', 'demo_store', '2026-01-01')).map((f) => path.join(dir, 'data', 'raw', 'demo_store', '2026-01-01', f))[0]!;
    const end = readRawLines(file).at(-1)!;
    expect(end).toMatchObject({ control: 'end', complete: true });

    // With the database still down, ingest fails in one line and lands nothing.
    const down = await runCli(['ingest'], { env });
    expect(down.code).toBe(EXIT.failed);
    expect(down.stderr).toMatch(/ECONNREFUSED|connect/);

    own.start();
    const up = await runCli(['run', 'demo_store', '--day', '1', '--base-url', demo.baseUrl], { env });
    expect(up.code, up.stderr).toBe(EXIT.ok);
    const [versions] = await query<{ n: number; keys: number }>(`SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys FROM staging.versions WHERE source = 'demo_store'`);
    expect(versions).toEqual({ n: end.records, keys: end.records });
    const ledger = await query<{ path: string; finished: boolean }>('SELECT path, finished FROM staging.raw_files ORDER BY path');
    expect(ledger.map((l) => l.finished)).toEqual([true, true]);
  });

  it('restarted in the middle of an ingest: the ingest fails cleanly, the re-run lands every record once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-pg-restart-'));
    const rawDir = path.join(dir, 'data', 'raw');
    const records = 300_000;
    const at = '2026-02-01T06:00:00.000Z';
    writeRawFile(
      rawDir,
      'bulk',
      Array.from({ length: records }, (_, i) => ({ key: `bulk:${i}`, at, data: { id: i, title: `Item ${i}`, amount: 100 + (i % 5000), currency: 'USD', padding: 'x'.repeat(120) } })),
      { complete: true },
    );
    const env = { DATABASE_URL: own.url, TRAWL_DATA_DIR: path.join(dir, 'data') };
    const ingest = spawn(process.execPath, [BIN, 'ingest', '--source', 'bulk'], { env: cliEnv(env) });
    let stderr = '';
    ingest.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => ingest.on('close', r));
    // Restart once the COPY is streaming (a first crawl's file goes straight into staging.versions).
    for (;;) {
      const copying = await query(`SELECT 1 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%COPY staging.versions (%' AND state = 'active'`).catch(() => []);
      if (copying.length > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    own.restart();
    expect(await exited).toBe(EXIT.failed);
    // One clear line, no stack trace.
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toMatch(/ingest bulk\/.*: lost the database connection .*run ingest again/);
    const [mid] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.versions WHERE source = 'bulk'`);
    expect(mid!.n).toBe(0);

    const again = await runCli(['ingest', '--source', 'bulk'], { env });
    expect(again.code, again.stderr).toBe(EXIT.ok);
    const [after] = await query<{ n: number; keys: number }>(`SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys FROM staging.versions WHERE source = 'bulk'`);
    expect(after).toEqual({ n: records, keys: records });
  });

  it('a port with nothing listening: one clear line and exit 1, for every command that needs the database', async () => {
    const env = { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, TRAWL_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-pg-none-')) };
    for (const cmd of [['ingest'], ['etl'], ['export'], ['status']]) {
      const r = await runCli(cmd, { env });
      expect(r.code, cmd.join(' ')).toBe(EXIT.failed);
      expect(r.stderr.trim().split('\n'), cmd.join(' ')).toHaveLength(1);
    }
  });
});
