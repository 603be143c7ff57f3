// Bad inputs end with one line naming the problem and a non-zero exit code; nothing landed is lost.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/lib/errors.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { freePort, runCli } from '../helpers/run-cli.ts';

let dir: string;
let testDb: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-cli-'));
  testDb = await createTestDatabase();
  env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: `file://${dir}/public`, DEMO_PORT: String(await freePort()) };
});

afterAll(async () => {
  await testDb?.drop();
});

const versionCount = async () => {
  const c = new pg.Client({ connectionString: testDb.url });
  await c.connect();
  const { rows } = await c.query('SELECT count(*)::int AS n FROM staging.versions');
  await c.end();
  return rows[0].n as number;
};

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

describe('trawl CLI errors', () => {
  it('a crawl that fails before its main loop (its data folder is a file) exits with one line, its demo site never started', async () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, '');
    const port = await freePort();
    const r = await runCli(['crawl', 'demo_store'], { env: { ...env, TRAWL_DATA_DIR: file, DEMO_PORT: String(port) } });
    expect(r.code).toBe(EXIT.failed);
    expect(oneLine(r.stderr)).toMatch(/^trawl: ENOTDIR: not a directory/);
    // The port is free: nothing of the crawl is left holding it.
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  it('--help names the commands and the environment variables', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['migrate', 'crawl', 'ingest', 'etl', 'export', 'run', 'status', 'serve', 'demo', 'DATABASE_URL', 'EXPORT_TARGET']) expect(r.stdout).toContain(word);
    const crawl = await runCli(['crawl', '--help']);
    expect(crawl.stdout).toContain('CHROMIUM_PATH');
  });

  it.each([
    [['crawl', 'demo_store', '--nosuch'], "unknown option '--nosuch'"],
    [['crawl', 'demo_store', '--day', '0'], "option '--day <n>' argument '0' is invalid"],
    [['demo', '--days', 'a,b'], "option '--days <list>' argument 'a,b' is invalid"],
    [['schedule', 'nosuch'], "unknown command 'nosuch'"],
    [['serve', '--port', '99999'], "option '--port <n>' argument '99999' is invalid. must be a TCP port"],
  ])('a usage error of %j: one line, exit 2', async (args, message) => {
    const r = await runCli(args, { env });
    expect(r.code).toBe(EXIT.usage);
    expect(oneLine(r.stderr)).toContain(`trawl: ${message}`);
  });

  it('--version prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n` });
  });

  it('ingest --source refuses a name that is neither a spider nor a folder of raw files', async () => {
    const r = await runCli(['ingest', '--source', 'demo_stor'], { env });
    expect(r.code).toBe(EXIT.usage);
    expect(oneLine(r.stderr)).toMatch(/^trawl: unknown source "demo_stor": neither a spider \(cheapshark, demo_store, .*\) nor a folder of raw files in /);
  });

  it('a crawl in which no request succeeded fails (exit 1), saying why it is incomplete', async () => {
    const port = await freePort();
    const r = await runCli(['crawl', 'gog', '--base-url', `http://127.0.0.1:${port}`], { env: { ...env, LOG_LEVEL: 'silent' } });
    expect(r.code).toBe(EXIT.failed);
    expect(r.stdout).toMatch(/gog: incomplete, nothing will be delisted: 1 request\(s\) failed/);
  });

  it('no URL form of a password reaches any output, at trace level, in a connection or a config error', async () => {
    const port = await freePort();
    const forms = [
      `postgres://:Pw-Sec-1@127.0.0.1:${port}/trawl`,
      `postgres://trawl:Pw-Sec-1@with@127.0.0.1:${port}/trawl`,
      `postgres://trawl@127.0.0.1:${port}/trawl?password=Pw-Sec-1`,
      `postgress://trawl:Pw-Sec-1@127.0.0.1:${port}/trawl`,
    ];
    for (const DATABASE_URL of forms) {
      const r = await runCli(['status'], { env: { ...env, DATABASE_URL, LOG_LEVEL: 'trace', LOG_FORMAT: 'json' } });
      expect(r.code, DATABASE_URL).not.toBe(EXIT.ok);
      expect(r.stdout + r.stderr, DATABASE_URL).not.toContain('Pw-Sec-1');
      expect(r.stderr).toMatch(/\*\*\*/);
    }
    const hook = await runCli(['status'], { env: { ...env, ALERT_WEBHOOK_URL: 'hooks.slack.com/services/T0/Hook-Sec-1' } });
    expect(hook.code).toBe(EXIT.usage);
    expect(oneLine(hook.stderr)).toBe('trawl: config: ALERT_WEBHOOK_URL="***" is invalid: Invalid URL');
  });

  it('an unknown spider name: one line, usage exit code', async () => {
    const r = await runCli(['run', 'no_such_spider'], { env });
    expect(r.code).toBe(EXIT.usage);
    expect(oneLine(r.stderr)).toBe('trawl: unknown spider "no_such_spider"; known spiders: cheapshark, demo_store, epic, gog, playstation, steam');
  });

  it('a malformed DATABASE_URL: one line naming the variable', async () => {
    const r = await runCli(['status'], { env: { ...env, DATABASE_URL: 'mysql://localhost/x' } });
    expect(r.code).toBe(EXIT.usage);
    expect(oneLine(r.stderr)).toMatch(/^trawl: config: DATABASE_URL="mysql:\/\/localhost\/x" is invalid: must start with postgres:\/\//);
  });

  it('an unreachable database: one line naming it, password redacted', async () => {
    const r = await runCli(['status'], { env: { ...env, DATABASE_URL: 'postgres://trawl:secret@127.0.0.1:1/nope' } });
    expect(r.code).toBe(EXIT.failed);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^trawl: database: cannot use postgres:\/\/trawl:\*\*\*@127\.0\.0\.1:1\/nope: .*ECONNREFUSED/);
    expect(line).not.toContain('secret');
  });

  it('an unwritable export folder fails the run after landing, and loses nothing', async () => {
    const ok = await runCli(['run', 'demo_store', '--day', '1'], { env });
    expect(ok.code).toBe(EXIT.ok);
    const landed = await versionCount();
    expect(landed).toBeGreaterThan(0);

    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const bad = await runCli(['run', 'demo_store', '--day', '2'], { env: { ...env, EXPORT_TARGET: `file://${blocker}/public` } });
    expect(bad.code).toBe(EXIT.failed);
    expect(oneLine(bad.stderr)).toMatch(/^trawl: export: cannot write to .*not-a-folder\/public: .*ENOTDIR/);
    // Day 2 was crawled and ingested before the export failed; day 1's export is untouched.
    expect(await versionCount()).toBeGreaterThan(landed);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'public/v1/manifest.json'), 'utf8'));
    expect(manifest.generated_at).toBe('2026-01-01T06:00:00.000Z');

    const retry = await runCli(['export'], { env: { ...env, TRAWL_NOW: '2026-01-02T06:00:00Z' } });
    expect(retry.code).toBe(EXIT.ok);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'public/v1/manifest.json'), 'utf8')).generated_at).toBe('2026-01-02T06:00:00.000Z');
  });
  it('export refuses to unpublish most of what is public (an empty or wrong database) unless --allow-shrink', async () => {
    // Its own export folder, published from a database that holds the demo's day 1.
    const shrinkEnv = { ...env, EXPORT_TARGET: `file://${dir}/public-shrink` };
    const day = await runCli(['demo', '--days', '1'], { env: shrinkEnv });
    expect(day.code, day.stderr).toBe(EXIT.ok);
    const manifest = () => fs.readFileSync(path.join(dir, 'public-shrink', 'v1', 'manifest.json'), 'utf8');
    const published = manifest();
    const empty = await createTestDatabase();
    try {
      const refused = await runCli(['export'], { env: { ...shrinkEnv, DATABASE_URL: empty.url } });
      expect(refused.code).toBe(EXIT.failed);
      expect(oneLine(refused.stderr)).toMatch(/^trawl: export refused: this generation would remove \d+ of the \d+ published objects \(more than 50%, EXPORT_MAX_SHRINK_SHARE\); check the database, or publish it with --allow-shrink$/);
      // Readers still see the whole generation they had.
      expect(manifest()).toBe(published);
      const forced = await runCli(['export', '--allow-shrink'], { env: { ...shrinkEnv, DATABASE_URL: empty.url } });
      expect(forced.code, forced.stderr).toBe(EXIT.ok);
      expect(forced.stdout).toMatch(/[1-9]\d* removed/);
    } finally {
      await empty.drop();
    }
  });
});
