// RAW_ARCHIVE and the landing bucket, against a real S3-API server on loopback with the real SDK.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spiderRules } from '../helpers/spider-rules.ts';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { createS3Client } from '../../src/lib/s3.ts';
import { openTarget } from '../../src/export/targets.ts';
import { prune } from '../../src/pipeline/prune.ts';
import { pathUnder } from '../../src/lib/safe-path.ts';
import { archiveRawFile, restoreMissing } from '../../src/raw/raw-archive.ts';
import { runIngest } from '../../src/staging/run-ingest.ts';
import { ingestFromBucket } from '../../src/staging/landing.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { runCli } from '../helpers/run-cli.ts';
import { S3RVER_ENV, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let s3: S3Server;
let database: Database;
let config: Config;
let testDb: TestDatabase;

beforeAll(async () => {
  s3 = await startS3Server(['archive', 'landing']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-landing-'));
  ({ database, config, testDb } = await openTestDatabase(dir, { S3_ENDPOINT: s3.endpoint, RAW_ARCHIVE: 's3://archive/raw' }));
});

afterAll(async () => {
  await database.close();
  await testDb.drop();
  await s3.close();
});

const T = (d: number) => new Date(Date.UTC(2026, 0, d, 6)).toISOString();

describe('RAW_ARCHIVE', () => {
  it('copies a finished raw file, gzipped, under its raw path', async () => {
    const file = writeRawFile(config.rawDir, 'shop', [{ key: 'a', at: T(1), data: { amount: 1 } }], { complete: true });
    const url = await archiveRawFile(config, file);
    const rel = path.relative(config.rawDir, file);
    expect(url).toBe(`s3://archive/raw/${rel}.gz`);
    const obj = await createS3Client(config.s3).send(new GetObjectCommand({ Bucket: 'archive', Key: `raw/${rel}.gz` }));
    expect(gunzipSync(Buffer.from(await obj.Body!.transformToByteArray())).toString()).toBe(fs.readFileSync(file, 'utf8'));
  });
});

describe('RAW_ARCHIVE catch-up', () => {
  it('prune keeps an old raw file the archive lacks; `trawl archive` uploads it, and then it goes', async () => {
    const file = writeRawFile(config.rawDir, 'shop', [{ key: 'b', at: T(3), data: { amount: 2 } }], { complete: true });
    await runIngest({ database, rawDir: config.rawDir, log: silentLogger, delistMaxMissingShare: 0.5, rules: await spiderRules() });
    const rel = path.relative(config.rawDir, file);
    const pruneNow = () =>
      prune({ config: { ...config, retention: { ...config.retention, rawDays: 1 } }, pool: database.pool, target: openTarget(config), now: new Date('2026-06-01T00:00:00Z') });

    expect((await pruneNow()).rawFilesKept).toEqual([{ file: rel, reason: 'not archived' }]);
    expect(fs.existsSync(file)).toBe(true);

    const env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), S3_ENDPOINT: s3.endpoint, RAW_ARCHIVE: 's3://archive/raw', ...S3RVER_ENV };
    const r = await runCli(['archive'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1 raw file(s) uploaded to s3://archive/raw\n');
    expect(await runCli(['archive'], { env })).toMatchObject({ code: 0, stdout: '0 raw file(s) uploaded to s3://archive/raw\n' });

    expect((await pruneNow()).rawFilesKept).toEqual([]);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('restoring from RAW_ARCHIVE', () => {
  it('restores raw files by their keys, and refuses a key that is not a raw file path inside the raw folder', async () => {
    const client = createS3Client(config.s3);
    const run = '20260301T060000Z-restor';
    const body = gzipSync(`${JSON.stringify({ control: 'start', run_id: run, source: 'shop', started_at: T(60) })}\n`);
    for (const key of [`raw/shop/2026-03-01/${run}.jsonl.gz`, 'raw/notes.jsonl.gz', 'raw/shop/latest/x.jsonl.gz', 'raw/Shop Files/2026-03-01/y.jsonl.gz']) {
      await client.send(new PutObjectCommand({ Bucket: 'archive', Key: key, Body: body }));
    }
    const r = await restoreMissing(config);
    expect(r.restored).toContain(`shop/2026-03-01/${run}.jsonl`);
    expect(r.refused.sort()).toEqual(['Shop Files/2026-03-01/y.jsonl', 'notes.jsonl', 'shop/latest/x.jsonl']);
    expect(fs.existsSync(path.join(config.rawDir, 'shop', '2026-03-01', `${run}.jsonl`))).toBe(true);
    expect(fs.existsSync(path.join(config.rawDir, 'notes.jsonl'))).toBe(false);
  });

  it('never joins a name that could leave its folder', () => {
    const root = '/srv/trawl/raw';
    expect(pathUnder(root, 'shop/2026-01-01/a.jsonl')).toBe('/srv/trawl/raw/shop/2026-01-01/a.jsonl');
    for (const bad of ['../etc/passwd', 'shop/../../x', '/etc/passwd', 'shop//a', 'shop/./a', 'a\\..\\b', 'a\u0000b', '', 'shop/\n']) expect(pathUnder(root, bad), JSON.stringify(bad)).toBeUndefined();
  });
});

describe('landing bucket', () => {
  it('ingests plain and gzip files once each, and quarantines a malformed file while the others go on', async () => {
    const client = createS3Client(config.s3);
    const put = (Key: string, Body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: 'landing', Key, Body }));
    const plain = fs.readFileSync(writeRawFile(path.join(dir, 'producer'), 'partner', [{ key: 'p1', at: T(1), data: { amount: 1 } }, { key: 'p2', at: T(1), data: { amount: 2 } }]));
    const zipped = gzipSync(fs.readFileSync(writeRawFile(path.join(dir, 'producer'), 'partner', [{ key: 'p1', at: T(2), data: { amount: 3 } }])));
    await put('drop/a-day1.jsonl', plain);
    await put('drop/b-day2.jsonl.gz', zipped);
    await put('drop/c-broken.jsonl.gz', Buffer.from('this is not gzip'));
    await put('drop/d-html.jsonl', '<html>not json</html>\n');

    const first = await ingestFromBucket({ url: 's3://landing/drop/', config, pool: database.pool, rules: new Map(), log: silentLogger });
    expect(first.files.map((f) => [f.path.replace(/@.*/, ''), f.newVersions])).toEqual([
      ['s3://landing/drop/a-day1.jsonl', 2],
      ['s3://landing/drop/b-day2.jsonl.gz', 1],
    ]);
    expect(first.quarantinedFiles.map((f) => f.path.replace(/@.*/, ''))).toEqual(['s3://landing/drop/c-broken.jsonl.gz', 's3://landing/drop/d-html.jsonl']);
    expect(first.quarantinedFiles[1]!.reason).toBe('not JSON lines: the file does not start with a JSON object');

    const again = await ingestFromBucket({ url: 's3://landing/drop/', config, pool: database.pool, rules: new Map(), log: silentLogger });
    expect(again).toEqual({ files: [], quarantinedFiles: [] });
    const { rows } = await database.pool.query(`SELECT key, version FROM staging.versions WHERE source = 'partner' ORDER BY key, version`);
    expect(rows).toEqual([{ key: 'p1', version: 1 }, { key: 'p1', version: 2 }, { key: 'p2', version: 1 }]);
    const ledger = await database.pool.query(`SELECT etag FROM staging.raw_files WHERE path LIKE 's3://landing/%' ORDER BY path`);
    expect(ledger.rows.every((r) => /^"?[0-9a-f]{32}"?$/.test(r.etag))).toBe(true);
  });
});

describe('landing bucket, crawls that overlap', () => {
  it("reads an earlier object again for its keys' own times: a change inside its window is a version", async () => {
    const client = createS3Client(config.s3);
    const put = (Key: string, Body: Buffer) => client.send(new PutObjectCommand({ Bucket: 'landing', Key, Body }));
    const at = (h: number, m = 0, s = 0) => new Date(Date.UTC(2026, 0, 2, h, m, s)).toISOString();
    const producer = path.join(dir, 'overlap-producer');
    const crawl = (obs: { key: string; at: string; amount: number }[], complete: boolean, startedAt: string) =>
      fs.readFileSync(writeRawFile(producer, 'lshop', obs.map((o) => ({ key: o.key, at: o.at, data: { amount: o.amount } })), { complete, startedAt }));
    await put('overlap/a.jsonl', crawl([{ key: 'k', at: T(1), amount: 100 }, { key: 'j', at: T(1), amount: 100 }], true, T(1)));
    // A complete crawl 06:00-10:00, gzipped: k unchanged at 06:00:01, j at 10:00.
    await put('overlap/b.jsonl.gz', gzipSync(crawl([{ key: 'k', at: at(6, 0, 1), amount: 100 }, { key: 'j', at: at(10), amount: 100 }], true, at(6))));
    // Another producer's crawl from 08:00 sees k at 80 at 08:05.
    await put('overlap/c.jsonl', crawl([{ key: 'k', at: at(8, 5), amount: 80 }], false, at(8)));
    const r = await ingestFromBucket({ url: 's3://landing/overlap/', config, pool: database.pool, rules: new Map(), log: silentLogger });
    expect(r.files.map((f) => f.newVersions)).toEqual([2, 0, 1]);
    const { rows } = await database.pool.query(`SELECT data->>'amount' AS amount, valid_from, valid_to FROM staging.versions WHERE source = 'lshop' AND key = 'k' ORDER BY version`);
    expect(rows.map((v) => [v.amount, v.valid_from.toISOString(), v.valid_to?.toISOString() ?? null])).toEqual([
      ['100', T(1), at(8, 5)],
      ['80', at(8, 5), null],
    ]);
  });
});
