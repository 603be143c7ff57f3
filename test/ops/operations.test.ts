// Locks, schedules, status, alerts and retention, against real Postgres and a local webhook receiver.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import pg from 'pg';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { runExport } from '../../src/export/run-export.ts';
import { openTarget } from '../../src/export/targets.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { sendAlert } from '../../src/pipeline/send-alert.ts';
import { prune } from '../../src/pipeline/prune.ts';
import { lockSpiders } from '../../src/db/spider-lock.ts';
import { renderCrontab } from '../../src/schedule/render-crontab.ts';
import { cronToOnCalendar, renderSystemd } from '../../src/schedule/render-systemd.ts';
import { parseSchedules } from '../../src/schedule/schedules.ts';
import { readRawLines } from '../helpers/raw-files.ts';
import { freePort, runCli } from '../helpers/run-cli.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let config: Config;
let testDb: TestDatabase;
let env: Record<string, string>;
let receiver: http.Server;
let webhook: string;
const received: { text: string; trawl: { kind: string; spider: string | null } }[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-ops-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  fs.writeFileSync(path.join(dir, 'schedules.json'), JSON.stringify({ demo_store: { cron: '0 6 * * *', timezone: 'Europe/Berlin', stale_after_hours: 26 } }));
  env = {
    DATABASE_URL: testDb.url,
    TRAWL_DATA_DIR: path.join(dir, 'data'),
    EXPORT_TARGET: `file://${dir}/public`,
    DEMO_PORT: String(await freePort()),
    SCHEDULES_FILE: path.join(dir, 'schedules.json'),
    ALERT_WEBHOOK_URL: webhook,
  };
});

afterAll(async () => {
  receiver?.close();
  await database?.close();
  await testDb?.drop();
});

describe('run', () => {
  it('exits 4 with one line when the spider is already running', async () => {
    const locks = await lockSpiders(database.url, ['demo_store'], silentLogger);
    try {
      const r = await runCli(['run', 'demo_store', '--day', '1'], { env });
      expect(r.code).toBe(EXIT.locked);
      expect(r.stderr.trim()).toBe('trawl: demo_store is already running (another trawl run holds its lock)');
    } finally {
      await locks.release();
    }
  });

  it('a run whose lock connection dies mid-crawl stops at once, closes its raw file incomplete, and lets the next run in', async () => {
    // A scaled shop, so the crawl is still going when its lock's backend is terminated.
    const shop = await startDemoServer({ day: 1, extraProducts: 80, js: false });
    // A database, data folder and export target of its own: the tests after this one count what the demo landed.
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-lock-lost-'));
    const own = await openTestDatabase(data);
    const admin = new pg.Client({ connectionString: own.testDb.url });
    await admin.connect();
    try {
      const runEnv = { ...env, DATABASE_URL: own.testDb.url, TRAWL_DATA_DIR: data, EXPORT_TARGET: `file://${data}/public` };
      const running = runCli(['run', 'demo_store', '--day', '1', '--base-url', shop.baseUrl], { env: runEnv });
      let terminated = false;
      for (let i = 0; i < 1200 && !terminated; i++) {
        if (shop.requests.length >= 10) {
          const { rows } = await admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'trawl lock demo_store'");
          terminated = rows.some((r) => r.ok);
        }
        if (!terminated) await new Promise((r) => setTimeout(r, 50));
      }
      expect(terminated).toBe(true);
      const r = await running;
      expect(r.code).toBe(EXIT.failed);
      expect(r.stderr).toContain('lost the lock of demo_store');
      const day = path.join(data, 'raw', 'demo_store', '2026-01-01');
      const files = fs.readdirSync(day);
      expect(files.filter((f) => f.endsWith('.part') || f.endsWith('.owner'))).toEqual([]);
      const lines = readRawLines(path.join(day, files.find((f) => f.endsWith('.jsonl'))!));
      expect(lines.filter((l) => l.control === 'end')).toHaveLength(1);
      expect(lines.at(-1)).toMatchObject({ control: 'end', complete: false });
      // Nothing of the stopped run went further than its crawl; the next run gets the lock.
      const { rows } = await admin.query("SELECT step, status FROM ops.runs WHERE pipeline_id IS NOT NULL ORDER BY id DESC LIMIT 1");
      expect(rows[0]).toMatchObject({ step: 'crawl', status: 'failed' });
      const next = await runCli(['run', 'demo_store', '--day', '1', '--base-url', shop.baseUrl], { env: runEnv });
      expect(next.code, next.stderr).toBe(EXIT.ok);
    } finally {
      await admin.end();
      await own.database.close();
      await own.testDb.drop();
      await shop.close();
    }
  });

  it('--all runs every scheduled spider; a failed run posts an alert', async () => {
    const ok = await runCli(['run', '--all', '--day', '1'], { env });
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout).toMatch(/demo_store\s+16\s+24\s+24/);
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    const failed = await runCli(['run', 'demo_store', '--day', '2'], { env: { ...env, EXPORT_TARGET: `file://${blocker}/x` } });
    expect(failed.code).toBe(EXIT.failed);
    expect(received.at(-1)).toMatchObject({ trawl: { kind: 'failed', spider: 'demo_store' } });
    expect(received.at(-1)!.text).toMatch(/^:x: trawl failed · demo_store: export: cannot write/);
  });
});

describe('what a run reports', () => {
  /** A local store: GOG's catalog reporting no products at all, Steam an app priced in a currency no one knows. */
  async function store() {
    const server = http.createServer((req, res) => {
      if (req.url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nAllow: /\n');
      if (req.url?.startsWith('/v1/catalog')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"pages":0,"productCount":0,"products":[]}');
      if (req.url?.startsWith('/api/appdetails')) {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"10":{"success":true,"data":{"price_overview":{"currency":"XBT","initial":100,"final":100,"discount_percent":0,"initial_formatted":"","final_formatted":"1 XBT"}}}}');
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it("a spider's first crawl that reads nothing alerts as collapsed and shows in status", async () => {
    const { server, url } = await store();
    try {
      received.length = 0;
      // The catalog itself says it is empty: the page passes the yield guard, and the crawl is complete with no record.
      const r = await runCli(['run', 'gog', '--base-url', url], { env });
      expect(r.code, r.stderr).toBe(EXIT.ok);
      expect(received.map((m) => [m.trawl.kind, m.trawl.spider])).toEqual([['collapsed', 'gog']]);
      const status = await runCli(['status', '--json'], { env });
      const row = (JSON.parse(status.stdout) as { spider: string; collapsed: string | null }[]).find((x) => x.spider === 'gog');
      expect(row?.collapsed).toBe('(no records)');
    } finally {
      server.close();
    }
  });

  it('exits 3 when something new is quarantined, and not again for the same item unreadable the same way', async () => {
    const { server, url } = await store();
    const sources = path.join(dir, 'sources-steam.json');
    fs.writeFileSync(sources, JSON.stringify({ steam: { countries: ['us'], featured: [], app_ids: [10] } }));
    try {
      const first = await runCli(['run', 'steam', '--base-url', url], { env: { ...env, SOURCES_FILE: sources, LOG_LEVEL: 'info', LOG_FORMAT: 'json' } });
      expect(first.code, first.stderr).toBe(EXIT.partial);
      // Each field of a log line once: the run's spider was printed twice on every crawl line.
      const logLines = first.stderr.trim().split('\n').filter((l) => l.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      for (const l of logLines) expect(l.match(/"spider":/g)?.length ?? 0, l).toBeLessThanOrEqual(1);
      const second = await runCli(['run', 'steam', '--base-url', url], { env: { ...env, SOURCES_FILE: sources } });
      expect(second.code, second.stderr).toBe(EXIT.ok);
      // The summary still counts it, and says it is not new.
      const table = (out: string) => {
        const [head, , row] = out.split('\n');
        const cols = head!.split(/\s{2,}/);
        return Object.fromEntries(row!.split(/\s{2,}/).map((v, i) => [cols[i], v]));
      };
      expect(table(first.stdout)).toMatchObject({ quarantined: '1', 'new in quarantine': '1' });
      expect(table(second.stdout)).toMatchObject({ quarantined: '1', 'new in quarantine': '0' });
      const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM staging.quarantine WHERE key = 'steam:app:10:us' AND reason = 'unknown currency XBT'`);
      expect(rows).toEqual([{ n: 2 }]);
    } finally {
      server.close();
    }
  });
});

describe('status', () => {
  it('reports freshness and the last 24 hours, and exits 5 with an alert when stale', async () => {
    const fresh = await runCli(['status', '--json'], { env });
    expect(fresh.code).toBe(EXIT.ok);
    const row = JSON.parse(fresh.stdout).find((r: { spider: string }) => r.spider === 'demo_store');
    expect(row).toMatchObject({ spider: 'demo_store', stale: false, records_24h: 48, new_versions_24h: 32, quarantined_24h: 0 });
    expect(row.freshness_hours).toBeLessThan(1);

    fs.writeFileSync(path.join(dir, 'stale.json'), JSON.stringify({ demo_store: { cron: '0 6 * * *', stale_after_hours: 0.0001 } }));
    const before = received.length;
    const stale = await runCli(['status'], { env: { ...env, SCHEDULES_FILE: path.join(dir, 'stale.json') } });
    expect(stale.code).toBe(EXIT.stale);
    expect(stale.stdout).toContain('STALE');
    expect(received.slice(before)).toMatchObject([{ trawl: { kind: 'stale', spider: 'demo_store' } }]);
  });
});

describe('alerts', () => {
  it('posts a Slack-compatible message for a collapsed crawl, and never throws when the hook is down', async () => {
    expect(await sendAlert(webhook, { kind: 'collapsed', spider: 'steam', message: 'record count collapsed' }, silentLogger)).toBe(true);
    expect(received.at(-1)).toEqual({ text: ':warning: trawl collapsed · steam: record count collapsed', trawl: { kind: 'collapsed', spider: 'steam', message: 'record count collapsed' } });
    expect(await sendAlert(`http://127.0.0.1:${await freePort()}/`, { kind: 'failed', spider: null, message: 'x' }, silentLogger)).toBe(false);
  });
});

describe('schedules', () => {
  const schedules = parseSchedules(JSON.stringify({ steam: { cron: '*/15 * * * 1-5', timezone: 'Asia/Seoul' }, gog: { cron: '30 4 1 * *' } }), 's.json');

  it('refuses a bad cron expression or time zone with one line naming it', () => {
    expect(() => parseSchedules('{"x":{"cron":"61 * * * *"}}', 's.json')).toThrow(/^s\.json: x\.cron: /);
    expect(() => parseSchedules('{"x":{"cron":"0 6 * * *","timezone":"Mars/Olympus"}}', 's.json')).toThrow('s.json: x.timezone: unknown time zone Mars/Olympus');
  });

  it('renders crontab lines with environment, working directory and log file', () => {
    const text = renderCrontab(schedules, { projectDir: '/srv/trawl', nodePath: '/usr/bin/node', logDir: '/var/log/trawl', schedulesFile: 's.json' });
    expect(text).toContain('CRON_TZ=Asia/Seoul\n*/15 * * * 1-5 cd /srv/trawl && { [ -f .env ] && set -a && . ./.env && set +a; } ; LOG_FORMAT=json /usr/bin/node bin/trawl.js run steam >> /var/log/trawl/steam.log 2>&1');
    expect(text).toContain('CRON_TZ=UTC\n30 4 1 * * cd /srv/trawl');
  });

  it('renders systemd timers with the same calendar', () => {
    expect(cronToOnCalendar('0 6 * * *', 'UTC')).toBe('*-*-* 06:00:00 UTC');
    expect(cronToOnCalendar('*/15 * * * 1-5', 'Asia/Seoul')).toBe('Mon..Fri *-*-* *:00/15:00 Asia/Seoul');
    expect(cronToOnCalendar('30 4 1 * *', 'UTC')).toBe('*-*-01 04:30:00 UTC');
    expect(cronToOnCalendar('0 8,20 * * 0', 'UTC')).toBe('Sun *-*-* 08,20:00:00 UTC');
    expect(() => cronToOnCalendar('0 0 1 * 1', 'UTC')).toThrow(/split it into two schedules/);
    const units = renderSystemd(schedules, { projectDir: '/srv/trawl', nodePath: '/usr/bin/node', logDir: '/var/log/trawl', schedulesFile: 's.json' });
    expect(units).toContain('ExecStart=/usr/bin/node bin/trawl.js run gog');
    expect(units).toContain('OnCalendar=*-*-01 04:30:00 UTC\nPersistent=true');
  });
});

describe('prune', () => {
  it('keeps raw files no archive holds unless told, says what stays rebuildable, and --dry-run deletes nothing', async () => {
    const old = { ...env, RAW_RETENTION_DAYS: '1', BODY_RETENTION_DAYS: '1', TRAWL_NOW: '2027-06-01T00:00:00Z' };
    const files = () => fs.readdirSync(config.rawDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl')).sort();
    const before = files();
    expect(before.length).toBeGreaterThan(0);
    const dry = await runCli(['prune', '--dry-run', '--unarchived'], { env: old });
    expect(dry.code, dry.stderr).toBe(EXIT.ok);
    expect(dry.stdout).toMatch(/^would prune [1-9]\d* raw file\(s\)/);
    expect(files()).toEqual(before);
    // No RAW_ARCHIVE: every raw file past retention stays, the source of truth for trawl rebuild.
    const safe = await runCli(['prune'], { env: old });
    expect(safe.code, safe.stderr).toBe(EXIT.ok);
    expect(safe.stdout).toMatch(/^pruned 0 raw file\(s\)/);
    expect(safe.stdout).toContain(`trawl rebuild can replay ${before.length} raw file(s): ${before.length} on disk, 0 in RAW_ARCHIVE only`);
    expect(files()).toEqual(before);
  });

  it('deletes old raw files only once ingested, trims export generations and old runs', async () => {
    const rawDir = config.rawDir;
    const ingested = fs.readdirSync(path.join(rawDir, 'demo_store'));
    expect(ingested.length).toBeGreaterThan(0);
    // A raw file nobody ingested, from long ago.
    const orphan = path.join(rawDir, 'demo_store', '2020-01-01', '20200101T060000Z-aaaaaa.jsonl');
    fs.mkdirSync(path.dirname(orphan), { recursive: true });
    fs.writeFileSync(orphan, '{"control":"start","run_id":"x","source":"demo_store","started_at":"2020-01-01T06:00:00Z"}\n');
    await database.pool.query(`UPDATE ops.runs SET started_at = now() - interval '400 days' WHERE id = (SELECT min(id) FROM ops.runs)`);
    const target = openTarget(config);
    for (let i = 0; i < 2; i++) await runExport({ database, target, clock: systemClock, log: silentLogger, cacheMaxAge: 60 });
    const generationsBefore = (await target.list('v1/manifests/')).length;
    // Bodies of a run from long ago, and of one within the body retention.
    const oldBodies = path.join(config.bodiesDir, 'demo_store', '2020-01-01', '20200101T060000Z-aaaaaa.bodies.jsonl.gz');
    const newBodies = path.join(config.bodiesDir, 'demo_store', '2026-12-30', '20261230T060000Z-bbbbbb.bodies.jsonl.gz');
    for (const f of [oldBodies, newBodies]) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, '');
    }
    // --unarchived: no RAW_ARCHIVE here, and the deletion is what this test is about.
    const r = await prune({ config: { ...config, retention: { rawDays: 30, bodyDays: 7, exportGenerations: 2, runsDays: 180 } }, pool: database.pool, target, now: new Date('2026-12-31T00:00:00Z'), unarchived: true });
    expect(r.rawFilesDeleted).toBeGreaterThan(0);
    expect(r.bodyFilesDeleted).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(oldBodies)).toBe(false);
    expect(fs.existsSync(newBodies)).toBe(true);
    expect(r.rawFilesKept).toEqual([{ file: path.relative(rawDir, orphan), reason: 'not fully ingested' }]);
    expect(fs.existsSync(orphan)).toBe(true);
    expect(r.runsDeleted).toBe(1);
    expect(generationsBefore).toBeGreaterThan(2);
    expect(await target.list('v1/manifests/')).toHaveLength(2);
    // What the current manifest names is all still there.
    const manifest = JSON.parse(String(await target.get('v1/manifest.json')));
    for (const f of Object.values(manifest.files) as { key: string }[]) expect(await target.get(f.key)).toBeDefined();
  });
});
