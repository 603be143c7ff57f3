// Security: SQL is parameterised (the lint rule is shown to fire), export SQL comes only from
// sql/exports, the analyst role cannot write, credentials never reach logs or ops.runs, the public
// folder holds only exported objects, spiders stay on their domains, `trawl serve` stays in its folder.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ESLint } from 'eslint';
import pg from 'pg';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig } from '../../src/config.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { LAKE_DIR, loadLakeDefinitions } from '../../src/export/lake-definition.ts';
import { EXPORTS_DIR, loadExportDefinitions } from '../../src/export/export-definition.ts';
import { serveFolder } from '../../src/export/serve-folder.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { defineSpider } from '../../src/spiders/define-spider.ts';
import { freePort, runCli } from '../helpers/run-cli.ts';
import { dropWorld, newWorld, runDay, withDatabase, worldEnv, type World } from './lib/fault-world.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let demo: DemoServer;
let w: World;
beforeAll(async () => {
  demo = await startDemoServer({ day: 1, js: false });
  w = await newWorld();
});
afterAll(async () => {
  await demo?.close();
  if (w) await dropWorld(w);
});

describe('security', () => {
  it('SQL built from strings is refused by the lint rule; parameters and quoted identifiers pass', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    // In src/db, where statements may stand in TypeScript (elsewhere every statement is refused: test/lint).
    const lint = async (code: string) => (await eslint.lintText(code, { filePath: path.join(ROOT, 'src/db/probe.ts') }))[0]!.messages.map((m) => m.message);
    const prelude = `import pg from 'pg';\nimport { sql } from 'kysely';\ndeclare const pool: pg.Pool;\ndeclare const name: string;\n`;
    for (const bad of ['pool.query(`SELECT * FROM t WHERE a = ${name}`);', "pool.query('SELECT * FROM t WHERE a = ' + name);", 'sql.raw(name);']) {
      expect(await lint(`${prelude}${bad}\nexport {};\n`), bad).toContainEqual(expect.stringMatching(/SQL/));
    }
    for (const good of ["pool.query('SELECT * FROM t WHERE a = $1', [name]);", 'pool.query(`DROP DATABASE ${pg.escapeIdentifier(name)}`);']) {
      expect((await lint(`${prelude}${good}\nexport {};\n`)).filter((m) => /SQL/.test(m)), good).toEqual([]);
    }
  });

  it('export queries come only from sql/exports: no option, variable or code path supplies SQL', async () => {
    const files = fs.readdirSync(EXPORTS_DIR).filter((f) => f.endsWith('.sql')).sort();
    expect(loadExportDefinitions().map((d) => d.file).sort()).toEqual(files);
    // Lake queries likewise come only from sql/lake.
    expect(loadLakeDefinitions().map((d) => d.file).sort()).toEqual(fs.readdirSync(LAKE_DIR).filter((f) => f.endsWith('.sql')).sort());
    // No setting names SQL or a folder of it, and `trawl export` takes no option with a value: its
    // flags, --allow-shrink and --lake, say yes or no.
    expect(Object.keys(ENV_VARS).filter((k) => /SQL|QUERY/.test(k))).toEqual([]);
    const help = await runCli(['export', '--help']);
    const optionsText = help.stdout.slice(help.stdout.indexOf('Options:'), help.stdout.indexOf('Environment:'));
    expect(optionsText.match(/--[a-z-]+/g)).toEqual(['--allow-shrink', '--lake', '--help']);
    expect(optionsText).not.toMatch(/--[a-z-]+ </);
    // Only tests hand runExport definitions of their own.
    const src = fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const passing = src.filter((f) => /runExport\(\{[^}]*definitions/.test(fs.readFileSync(path.join(ROOT, 'src', f), 'utf8')));
    expect(passing).toEqual([]);
  });

  it('credentials never appear in output, logs or ops.runs, even when things fail', async () => {
    const secrets = { db: 'Pg-Secret-7731', aws: 'Aws-Secret-9941', key: 'AKIAPROBE00000SECRET', hook: 'Hook-Secret-5520' };
    const dead = `http://127.0.0.1:${await freePort()}`;
    const url = new URL(w.url);
    url.password = secrets.db;
    const env = worldEnv(w, {
      DATABASE_URL: url.toString(),
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      // An archive and a webhook that cannot be reached: their failures are logged.
      RAW_ARCHIVE: 's3://archive/raw',
      S3_ENDPOINT: dead,
      AWS_ACCESS_KEY_ID: secrets.key,
      AWS_SECRET_ACCESS_KEY: secrets.aws,
      ALERT_WEBHOOK_URL: `${dead}/hooks/${secrets.hook}`,
    });
    const outputs = [await runDay(w, demo, 1, env)];
    expect(outputs[0]!.code, outputs[0]!.stderr).toBe(0);
    // A run whose export fails (alert sent to the dead webhook), and commands that cannot reach Postgres.
    outputs.push(await runDay(w, demo, 2, { ...env, EXPORT_TARGET: 's3://public/site' }));
    expect(outputs[1]!.code).toBe(1);
    const deadDb = new URL(url);
    deadDb.port = String(await freePort());
    for (const cmd of [['ingest'], ['status']]) outputs.push(await runCli(cmd, { env: { ...env, DATABASE_URL: deadDb.toString() } }));
    const runs = await withDatabase(w, async (db) => (await db.pool.query<{ r: string }>('SELECT row_to_json(r)::text AS r FROM ops.runs r')).rows.map((r) => r.r));
    const text = [...outputs.flatMap((o) => [o.stdout, o.stderr]), ...runs].join('\n');
    expect(text).toMatch(/ECONNREFUSED/); // the failures happened, and were reported
    for (const secret of Object.values(secrets)) expect(text, secret).not.toContain(secret);
  });

  it('the public folder holds only exported objects', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(w.publicDir, 'v1/manifest.json'), 'utf8'));
    const allowed = new Set<string>(['v1/manifest.json', 'v1/status.json', ...Object.keys(manifest.assets)]);
    for (const [stable, f] of Object.entries(manifest.files) as [string, { key: string }][]) allowed.add(stable).add(f.key);
    const present = fs.readdirSync(w.publicDir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(w.publicDir, f)).isFile());
    const unexpected = present.filter((f) => !allowed.has(f) && !/^v1\/manifests\/[\w-]+\.json$/.test(f));
    expect(present.length).toBeGreaterThan(10);
    expect(unexpected).toEqual([]);
  });

  it('the analyst role reads the marts and cannot write anywhere', async () => {
    const url = new URL(w.url);
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    try {
      await c.query('SET ROLE trawl_analyst');
      expect((await c.query('SELECT count(*)::int AS n FROM mart.current_prices')).rows[0].n).toBeGreaterThan(0);
      for (const sql of ['DELETE FROM core.prices', 'UPDATE mart.current_prices SET amount = 0', 'INSERT INTO ops.runs (step) VALUES ($$crawl$$)', 'TRUNCATE staging.versions', 'CREATE TABLE core.mine (x int)', 'DROP VIEW mart.deals']) {
        await expect(c.query(sql), sql).rejects.toThrow(/permission denied|must be owner|cannot/);
      }
    } finally {
      await c.end();
    }
  });

  it("the analyst role cannot take or block trawl's locks, nor create temp tables, large objects or functions", async () => {
    const c = new pg.Client({ connectionString: w.url });
    await c.connect();
    try {
      await c.query('SET ROLE trawl_analyst');
      const refused = [
        "SELECT pg_try_advisory_lock(7401100, hashtext('demo_store'))",
        'SELECT pg_advisory_lock(7401003)',
        'SELECT pg_advisory_xact_lock_shared(7401001)',
        "SELECT lo_from_bytea(0, '\\x00'::bytea)",
        'SELECT lo_create(0)',
        'CREATE TEMP TABLE mine (x int)',
        "CREATE FUNCTION public.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE FUNCTION pg_temp.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        'SELECT count(*) FROM staging.versions',
        'SELECT count(*) FROM ops.runs',
      ];
      for (const sql of refused) await expect(c.query(sql), sql).rejects.toThrow(/permission denied/);
      expect((await c.query('SELECT count(*)::int AS n FROM core.prices')).rows[0].n).toBeGreaterThan(0);
    } finally {
      await c.end();
    }
    // trawl itself still takes its locks and runs.
    const r = await runDay(w, demo, 3);
    expect(r.code).toBe(0);
  });

  it('a spider never requests outside its allowed domains, by link or by redirect', async () => {
    const hits: string[] = [];
    const elsewhere = http.createServer((req, res) => (hits.push(req.url ?? ''), res.end('{}')));
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.2', r));
    const other = `http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}`;
    const home = http.createServer((req, res) => {
      if (req.url === '/robots.txt') return void res.end('User-agent: *\n');
      if (req.url === '/start') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ links: [`${other}/linked`, '/hop'] }));
      if (req.url === '/hop') return void res.writeHead(302, { location: `${other}/redirected` }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => home.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
    const spider = defineSpider({
      name: 'probe',
      description: 'follows every link',
      kind: 'http',
      baseUrl: base,
      entity: 'item',
      schema: z.object({ id: z.string() }),
      key: (r) => r.id,
      politeness: { maxRequestRetries: 0 },
      start: () => [{ url: `${base}/start`, label: 'PAGE' }],
      routes: {
        PAGE: {
          async handle({ body, request, enqueue }) {
            for (const link of (JSON.parse(body) as { links: string[] }).links) await enqueue({ url: new URL(link, request.url).href, label: 'PAGE' });
          },
        },
      },
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-domains-'));
    const r = await runCrawl({ spider: spider as never, config: loadConfig({ TRAWL_DATA_DIR: dir }, dir), log: silentLogger, clock: fixedClock(new Date()), baseUrl: base });
    await new Promise<void>((res) => home.close(() => res()));
    await new Promise<void>((res) => elsewhere.close(() => res()));
    expect(hits).toEqual([]);
    // The off-site link is skipped and counted; the redirect off the domains is a refused request.
    expect(r.offSiteSkipped).toBe(1);
    expect(r.offDomainSkipped).toBe(1);
    // The refused redirect is a page not read: the crawl is incomplete (an off-site link alone is not).
    expect(r.complete).toBe(false);
    expect(r.incompleteReasons).toEqual(['1 request(s) redirected off the allowed domains']);
  });

  it.each(['/../secret.txt', '/v1/../../secret.txt', '/%2e%2e/secret.txt', '/v1/%2e%2e%2f%2e%2e%2fsecret.txt', '/link.txt', '/%00', '/..%5csecret.txt'])('trawl serve never serves a file outside its folder: %s', async (rawPath) => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-serve-sec-'));
    fs.mkdirSync(path.join(parent, 'public'));
    fs.writeFileSync(path.join(parent, 'secret.txt'), 'the secret');
    fs.symlinkSync(path.join(parent, 'secret.txt'), path.join(parent, 'public', 'link.txt'));
    const server = await serveFolder(path.join(parent, 'public'), { port: 0, cacheMaxAge: 60 });
    try {
      const u = new URL(server.url);
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) =>
        http
          .request({ host: u.hostname, port: u.port, path: rawPath }, (r) => {
            let body = '';
            r.on('data', (d) => (body += d));
            r.on('end', () => resolve({ status: r.statusCode!, body }));
          })
          .on('error', reject)
          .end(),
      );
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('secret');
    } finally {
      await server.close();
    }
  });
});
