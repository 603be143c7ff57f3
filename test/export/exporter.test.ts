// The exporter against a real S3-API server on loopback with the real AWS SDK.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { parseExportDefinition } from '../../src/export/export-definition.ts';
import { runExport, type Manifest } from '../../src/export/run-export.ts';
import { openTarget, type ExportTarget } from '../../src/export/targets.ts';
import { contentTypeOf } from '../../src/export/object-path.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { createS3Client } from '../../src/lib/s3.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let s3: S3Server;
let database: Database;
let config: Config;
let testDb: TestDatabase;
let server: DemoServer;

beforeAll(async () => {
  s3 = await startS3Server(['public']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-exporter-'));
  ({ database, config, testDb } = await openTestDatabase(dir, { S3_ENDPOINT: s3.endpoint, EXPORT_TARGET: 's3://public/site' }));
  server = await startDemoServer({ day: 1 });
});

afterAll(async () => {
  await server?.close();
  await database?.close();
  await testDb?.drop();
  await s3?.close();
});

const client = () => createS3Client(config.s3);
async function getObject(key: string): Promise<{ body: string; bytes: Buffer; contentType?: string; cacheControl?: string } | undefined> {
  try {
    const res = await client().send(new GetObjectCommand({ Bucket: 'public', Key: `site/${key}` }));
    const bytes = Buffer.from(await res.Body!.transformToByteArray());
    return { body: bytes.toString('utf8'), bytes, contentType: res.ContentType, cacheControl: res.CacheControl };
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}
async function listKeys(): Promise<string[]> {
  const res = await client().send(new ListObjectsV2Command({ Bucket: 'public', Prefix: 'site/' }));
  return (res.Contents ?? []).map((o) => o.Key!.slice('site/'.length)).sort();
}
const manifest = async () => JSON.parse((await getObject('v1/manifest.json'))!.body) as Manifest;

/** Counts what the exporter writes, to show unchanged objects are not uploaded again. */
function countingTarget(target: ExportTarget) {
  const writes: string[] = [];
  const counted: ExportTarget = {
    describe: () => target.describe(),
    check: () => target.check(),
    get: (k) => target.get(k),
    open: (k) => target.open(k),
    put: async (k, b, o) => {
      writes.push(`put ${k}`);
      await target.put(k, b, o);
    },
    copy: async (f, t, o) => {
      writes.push(`copy ${t}`);
      await target.copy(f, t, o);
    },
    list: (p) => target.list(p),
    delete: async (keys) => {
      writes.push(...keys.map((k) => `delete ${k}`));
      await target.delete(keys);
    },
  };
  return { counted, writes };
}

async function runDay(day: number) {
  server.setDay(day);
  return runPipeline({ spiders: [demoStore], config, database, log: silentLogger, clock: fixedClock(demoDayTime(day)), day, baseUrl: server.baseUrl });
}

describe('exporter on S3', () => {
  it('publishes content-addressed copies, stable aliases and the manifest, with their headers', async () => {
    await runDay(1);
    const m = await manifest();
    const keys = await listKeys();
    for (const [stable, f] of Object.entries(m.files)) {
      expect(keys).toContain(f.key);
      const copy = (await getObject(f.key))!;
      const alias = (await getObject(stable))!;
      expect(alias.bytes.equals(copy.bytes)).toBe(true);
      expect(copy.bytes.length).toBe(f.size);
      expect(crypto.hash('sha256', copy.bytes, 'hex')).toBe(f.sha256);
      if (stable.endsWith('.json')) expect(JSON.parse(copy.body).count).toBe(f.count);
      expect(copy.contentType).toBe(contentTypeOf(stable));
      expect(copy.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(alias.cacheControl).toBe(`public, max-age=${config.exportCacheMaxAge}`);
    }
    const head = await client().send(new HeadObjectCommand({ Bucket: 'public', Key: 'site/index.html' }));
    expect(head.ContentType).toBe('text/html; charset=utf-8');
    // The bucket holds exported objects only: under v1/, and the page's files with its chart library.
    expect(keys.filter((k) => !k.startsWith('v1/'))).toEqual(['app.js', 'index.html', 'style.css', 'vendor/uplot.LICENSE.txt', 'vendor/uplot.min.css', 'vendor/uplot.min.js']);
    expect(m.files['v1/feeds/lows.atom']!.key).toMatch(/^v1\/feeds\/lows\.[0-9a-f]{16}\.atom$/);
    expect(m.files['v1/history/prices.jsonl.gz']!.key).toMatch(/^v1\/history\/prices\.[0-9a-f]{16}\.jsonl\.gz$/);
  });

  it('uploads nothing when nothing changed, and only what changed otherwise', async () => {
    const target = countingTarget(openTarget(config));
    const same = await runExport({ database, target: target.counted, clock: fixedClock(demoDayTime(1)), log: silentLogger, cacheMaxAge: 60 });
    expect(same.uploaded).toBe(0);
    expect(target.writes.filter((w) => !w.includes('manifest') && w !== 'put v1/status.json')).toEqual([]);

    const before = await manifest();
    const r = await runDay(2);
    const after = await manifest();
    const changed = Object.keys(after.files).filter((p) => before.files[p]?.sha256 !== after.files[p]!.sha256);
    expect(r.export.uploaded).toBe(changed.length);
    // Unchanged objects keep their bytes and their updated_at.
    for (const p of Object.keys(after.files).filter((p) => !changed.includes(p))) expect(after.files[p]).toEqual(before.files[p]);
    expect(changed).toContain('v1/deals.json');
  });

  it('lists the price changes since the previous generation in v1/changes/latest.json', async () => {
    const feed = JSON.parse((await getObject('v1/changes/latest.json'))!.body);
    const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM core.prices WHERE valid_from = $1`, [demoDayTime(2)]);
    expect(feed.count).toBe(rows[0].n);
    expect(feed.data.every((c: { valid_from: string }) => c.valid_from === demoDayTime(2).toISOString())).toBe(true);
  });

  it('describes every path in a valid OpenAPI 3.1 document, and every object matches its schema', async () => {
    const spec = JSON.parse((await getObject('v1/openapi.json'))!.body);
    const validation = await new Validator().validate(spec);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(spec, 'openapi.json');
    const m = await manifest();
    const schemaFor = (p: string) => {
      const template = Object.keys(spec.paths).find((t) => new RegExp(`^${t.slice(1).replace(/\{[a-z_]+\}/g, '[^/]+')}$`).test(p))!;
      return spec.paths[template].get.responses['200'].content['application/json'].schema.$ref as string;
    };
    for (const p of Object.keys(m.files).filter((k) => k.endsWith('.json'))) {
      const validate = ajv.getSchema(`openapi.json${schemaFor(p)}`)!;
      const body = JSON.parse((await getObject(p))!.body);
      expect(validate(body), `${p}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const deals = JSON.parse((await getObject('v1/deals.json'))!.body);
    const validateDeals = ajv.getSchema(`openapi.json${schemaFor('v1/deals.json')}`)!;
    expect(validateDeals({ ...deals, data: [{ ...deals.data[0], injected: 'x' }] })).toBe(false);
    expect(validateDeals({ ...deals, data: [{ ...deals.data[0], amount: '19.99' }] })).toBe(false);
  });

  it('puts a body too big to hold from its file, in parts, with its headers', async () => {
    // 12 MB: three 5 MB parts, one in memory at a time.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-big-body-')), 'body');
    const line = `${JSON.stringify({ game_id: 'g', title: 'x'.repeat(200) })}\n`;
    fs.writeFileSync(file, line.repeat(Math.ceil((12 << 20) / line.length)));
    await openTarget(config).put('v1/big.json', { file }, { contentType: 'application/json; charset=utf-8', cacheControl: 'public, max-age=7' });
    const got = (await getObject('v1/big.json'))!;
    expect(got.body === fs.readFileSync(file, 'utf8')).toBe(true);
    expect(got).toMatchObject({ contentType: 'application/json; charset=utf-8', cacheControl: 'public, max-age=7' });
    await openTarget(config).delete(['v1/big.json']);
  });

  it('removes an object only after the manifest stops naming it', async () => {
    const gone = 'v1/games/g_obsolete.json';
    const m = await manifest();
    // A game the previous generation had, and the data no longer has.
    const fake = { ...m, files: { ...m.files, [gone]: { ...m.files['v1/deals.json']!, key: 'v1/games/g_obsolete.0000000000000000.json' } } };
    const target = openTarget(config);
    await target.put(gone, '{}', { contentType: 'application/json', cacheControl: 'no-cache' });
    await target.put('v1/manifest.json', JSON.stringify(fake), { contentType: 'application/json', cacheControl: 'no-cache' });
    const counting = countingTarget(target);
    const r = await runExport({ database, target: counting.counted, clock: fixedClock(demoDayTime(2)), log: silentLogger, cacheMaxAge: 60 });
    expect(r.removed).toBe(1);
    const order = counting.writes.filter((w) => w.includes('manifest.json') || w.includes('g_obsolete'));
    expect(order).toEqual(['put v1/manifest.json', `delete ${gone}`]);
    expect(await getObject(gone)).toBeUndefined();
  });

  it('an export whose columns break its shape fails clearly and publishes nothing', async () => {
    const before = await manifest();
    const keysBefore = await listKeys();
    const bad = parseExportDefinition('deals.sql', `-- path: v1/deals.json\n-- description: d\n-- shape: list\n-- columns: game_id, title\nSELECT game_id, game_title AS title, amount FROM mart.deals`);
    await expect(runExport({ database, target: openTarget(config), clock: fixedClock(demoDayTime(3)), log: silentLogger, cacheMaxAge: 60, definitions: [bad] })).rejects.toThrow(
      'export deals.sql: the query returns columns [game_id, title, amount] but its shape allows [game_id, title]',
    );
    expect(await manifest()).toEqual(before);
    expect(await listKeys()).toEqual(keysBefore);
    expect(() => parseExportDefinition('x.sql', '-- path: v1/x.json\n-- description: d\n-- shape: list\n-- rows_per_read: 0\n-- columns: x\nSELECT 1 AS x')).toThrow(
      'sql/exports/x.sql: rows_per_read must be a whole number from 1 to 10000, got "0"',
    );
    const failing = parseExportDefinition('broken.sql', `-- path: v1/broken.json\n-- description: d\n-- shape: list\n-- columns: x\nSELECT 1 / 0 AS x`);
    await expect(runExport({ database, target: openTarget(config), clock: fixedClock(demoDayTime(3)), log: silentLogger, cacheMaxAge: 60, definitions: [failing] })).rejects.toThrow('export broken.sql: division by zero');
    expect(await manifest()).toEqual(before);
  });

  it('publishes several objects too big to hold, each whole, while they upload side by side', async () => {
    const big = parseExportDefinition(
      'big.sql',
      `-- path: v1/big/{n}.json\n-- description: d\n-- shape: list\n-- columns: n, r, pad\nSELECT n, r, repeat(chr(97 + (n + r) % 26), 3000) AS pad FROM generate_series(1, 4) n, generate_series(1, 500) r ORDER BY n, r`,
    );
    // Other definitions replace every published object: a deliberate shrink.
    await runExport({ database, target: openTarget(config), clock: fixedClock(demoDayTime(4)), log: silentLogger, cacheMaxAge: 60, definitions: [big], allowShrink: true });
    const m = await manifest();
    expect(Object.keys(m.files).filter((k) => k.startsWith('v1/big/')).sort()).toEqual(['v1/big/1.json', 'v1/big/2.json', 'v1/big/3.json', 'v1/big/4.json']);
    for (const [stable, f] of Object.entries(m.files).filter(([k]) => k.startsWith('v1/big/'))) {
      const body = (await getObject(stable))!.body;
      expect(f.size).toBeGreaterThan(1 << 20);
      expect(crypto.hash('sha256', body, 'hex')).toBe(f.sha256);
      const n = Number(/(\d+)\.json$/.exec(stable)![1]);
      const parsed = JSON.parse(body) as { count: number; data: { n: number; r: number; pad: string }[] };
      expect(parsed.count).toBe(500);
      expect(parsed.data.every((row, i) => row.n === n && row.r === i + 1 && row.pad === String.fromCharCode(97 + ((n + row.r) % 26)).repeat(3000))).toBe(true);
    }
  });
});
