// The poison suite: every hostile record, file and object the probe found, each through the CLI on
// real Postgres (and s3rver for the landing bucket). Each ends quarantined with its reason while the
// good lines and later files land, the ETL and the export still run, and memory stays bounded.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import type { Database } from '../../src/db/database.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { createS3Client } from '../../src/lib/s3.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startS3Server, S3RVER_ENV, type S3Server } from '../helpers/s3-server.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let rawDir: string;
let database: Database;
let testDb: TestDatabase;
let s3: S3Server;
let env: Record<string, string>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-poison-'));
  ({ database, testDb } = await openTestDatabase(dir));
  rawDir = path.join(dir, 'data', 'raw');
  s3 = await startS3Server(['landing']);
  env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: `file://${dir}/public`, S3_ENDPOINT: s3.endpoint, ...S3RVER_ENV };
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  await s3?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const offer = (id: string, extra: Record<string, unknown> = {}) => ({ store: 'probe', store_item_id: id, title: `Game ${id}`, url: `https://probe.example/${id}`, region: 'us', currency: 'USD', status: 'available', amount: 999, regular_amount: null, ...extra });
const line = (key: string, data: unknown, sourceFields: unknown = null, source = 'probe') =>
  JSON.stringify({ source, entity: 'offer', key, partition: 'us', observed_at: '2026-02-01T06:00:00.000Z', url: null, data, source_fields: sourceFields });

let run = 0;
/** A finished raw file of `source` made of these lines (text or bytes), between a start and an end line. */
function rawFile(source: string, lines: (string | Buffer)[], day = '2026-02-01'): string {
  const runId = `${day.replace(/-/g, '')}T060000Z-p${String(run++).padStart(5, '0')}`;
  const file = path.join(rawDir, source, day, `${runId}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const start = JSON.stringify({ control: 'start', run_id: runId, source, started_at: `${day}T06:00:00.000Z` });
  const end = JSON.stringify({ control: 'end', run_id: runId, source, started_at: `${day}T06:00:00.000Z`, finished_at: `${day}T06:10:00.000Z`, complete: false, partitions: {}, pages: 1, records: 0, invalid: 0, failed_requests: 0, budget_cut: false });
  fs.writeFileSync(file, Buffer.concat([start, ...lines, end].map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')]))));
  return file;
}

async function reasons(): Promise<Record<string, string>> {
  const { rows } = await database.pool.query<{ key: string | null; raw_line: number; reason: string }>('SELECT key, raw_line, reason FROM staging.quarantine ORDER BY raw_file_id, raw_line');
  return Object.fromEntries(rows.map((r) => [r.key && r.key.length > 60 ? `${r.key.slice(0, 20)}…(${r.key.length})` : (r.key ?? `line ${r.raw_line}`), r.reason]));
}

/** `chunk` repeated `times`, gzipped as a stream (the whole is never in memory). */
async function gzipOf(chunk: Buffer, times: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => gz.on('end', r));
  for (let i = 0; i < times; i++) if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

/** Runs the CLI and reports its peak RSS in MB. */
async function cliWithRss(args: string[], extra: Record<string, string> = {}) {
  const rssFile = path.join(dir, `rss-${run++}`);
  const r = await runCli(args, { env: { ...env, ...extra, NODE_OPTIONS: `--import ${path.resolve(import.meta.dirname, '../helpers/report-max-rss.mjs')}`, TRAWL_TEST_RSS_FILE: rssFile } });
  return { ...r, rssMb: Number(fs.readFileSync(rssFile, 'utf8')) / 1024 };
}

describe('poison records', () => {
  it('each hostile line is quarantined with the limit it breaks; the good lines land; etl, etl --full and export run', async () => {
    let deep = '1';
    for (let i = 0; i < 100_000; i++) deep = `{"a":${deep}}`;
    const latin1 = line('probe:latin1:us', offer('latin1', { title: 'Pok__mon' })).split('__');
    const huge = line('probe:huge:us', offer('huge'), { blob: 'x'.repeat(2_000_000) });
    const nfc = 'probe:Pok\u00e9mon:us';
    const nfd = 'probe:Poke\u0301mon:us';
    rawFile('probe', [
      line('probe:good1:us', offer('good1')),
      line('probe:title:us', offer('title', { title: 'T'.repeat(4000) })),
      line(`probe:${'k'.repeat(20_000)}:us`, offer('long-key')),
      line('probe:deep:us', offer('deep'), `__DEEP__`).replace('"__DEEP__"', deep),
      line('probe:inf:us', offer('inf'), { price: '__N__' }).replace('"__N__"', '1e400'),
      line('probe:unsafe:us', offer('unsafe', { review_count: 1 }), null).replace('"review_count":1', '"review_count":12345678901234567890'),
      // "Pokémon" in Latin-1: the é is one byte that is not UTF-8.
      Buffer.concat([Buffer.from(latin1[0]!), Buffer.from([0xe9]), Buffer.from(latin1[1]!)]),
      huge,
      line(nfc, offer('Pok\u00e9mon')),
      line(nfd, offer('Poke\u0301mon')),
      line('probe:good2:us', offer('good2')),
    ]);
    // A spider's own schema still runs: a javascript: URL is not a link to publish.
    rawFile('demo_store', [line('demo_store:js:us', { ...offer('js'), store: 'demo_store', url: 'javascript:alert(1)' }, null, 'demo_store')]);

    const ingest = await runCli(['ingest'], { env });
    expect(ingest.code, ingest.stderr).toBe(EXIT.partial);
    const q = await reasons();
    expect(q['probe:title:us']).toBe('data.title of 4000 bytes is over the limit of 1000');
    expect(q[`probe:${'k'.repeat(14)}…(20009)`]).toBe('key of 20009 bytes is over the limit of 1000');
    expect(q['probe:deep:us']).toBe('source_fields nested deeper than the limit of 32 levels');
    expect(q['probe:inf:us']).toMatch(/^source_fields\.price is a number beyond what is read exactly/);
    expect(q['probe:unsafe:us']).toMatch(/^data\.review_count is a number beyond what is read exactly/);
    expect(Object.values(q)).toContain(`not valid UTF-8 (byte ${Buffer.byteLength(latin1[0]!)} of the line)`);
    expect(Object.values(q)).toContain(`line of ${Buffer.byteLength(huge)} bytes is over the limit of 1048576 bytes`);
    expect(q['demo_store:js:us']).toMatch(/url: an http\(s\) URL/);

    const { rows } = await database.pool.query(`SELECT key FROM staging.key_state WHERE source = 'probe' ORDER BY key`);
    // One item in two Unicode forms is one key, in NFC.
    expect(rows.map((r) => r.key)).toEqual(['probe:Pok\u00e9mon:us', 'probe:good1:us', 'probe:good2:us']);

    for (const args of [['etl'], ['etl', '--full'], ['export']]) {
      const r = await runCli(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(EXIT.ok);
    }
    const listings = await database.pool.query(`SELECT store_item_id FROM core.listings WHERE store_id = 'probe' ORDER BY 1`);
    expect(listings.rows.map((r) => r.store_item_id)).toEqual(['Pok\u00e9mon', 'good1', 'good2']);
  });

  it('whatever staging already holds can be modelled: a 4,000-character title landed before the limits does not stop the ETL', async () => {
    // As a version landed by an older trawl, without the door's limits.
    await database.pool.query(
      `INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, valid_from, last_seen_at, raw_file_id, raw_line)
       SELECT source, entity, 'probe:old-long:us', partition, 1, hash, hash_version,
              jsonb_set(jsonb_set(data, '{title}', to_jsonb(repeat('Old long title ', 270))), '{store_item_id}', '"old-long"'), valid_from, last_seen_at, raw_file_id, raw_line
       FROM staging.versions WHERE key = 'probe:good1:us'`,
    );
    for (const args of [['etl'], ['etl', '--full'], ['export']]) {
      const r = await runCli(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(EXIT.ok);
    }
    const { rows } = await database.pool.query(`SELECT length(natural_key) AS n FROM core.games g JOIN core.listings l USING (game_id) WHERE l.store_item_id = 'old-long'`);
    expect(rows).toEqual([{ n: 'title:'.length + 300 }]);
  });
});

describe('poison files', () => {
  it('a file that cannot be read is quarantined once with its reason, passed over until retry, and the files after it land', async () => {
    const outside = path.join(dir, 'outside-secret.jsonl');
    fs.writeFileSync(outside, `${line('probe:secret:us', offer('secret'))}\n`);
    const linkDir = path.join(rawDir, 'demo_store', '2026-02-02');
    fs.mkdirSync(linkDir, { recursive: true });
    const link = path.join(linkDir, '20260202T060000Z-plink.jsonl');
    fs.symlinkSync(outside, link);
    // A symbolic link in the folder of another day is not followed by the walk; one given to --replay is refused.
    rawFile('probe', [line('probe:after:us', offer('after'))], '2026-02-03');

    const first = await runCli(['ingest'], { env });
    expect(first.code, first.stderr).toBe(EXIT.ok);
    expect((await database.pool.query(`SELECT 1 FROM staging.key_state WHERE key = 'probe:after:us'`)).rowCount).toBe(1);
    expect((await database.pool.query(`SELECT 1 FROM staging.key_state WHERE key = 'probe:secret:us'`)).rowCount).toBe(0);

    const replay = await runCli(['ingest', '--replay', link, path.join(rawDir, 'probe', '2026-02-03', fs.readdirSync(path.join(rawDir, 'probe', '2026-02-03'))[0]!)], { env });
    expect(replay.code, replay.stderr).toBe(EXIT.partial);
    expect(replay.stdout).toMatch(/demo_store\/2026-02-02\/20260202T060000Z-plink\.jsonl .*file quarantined: demo_store\/2026-02-02\/20260202T060000Z-plink\.jsonl leads out of the raw folder/);
    expect((await database.pool.query(`SELECT 1 FROM staging.key_state WHERE key = 'probe:secret:us'`)).rowCount).toBe(0);

    // Recorded once; the next replay passes over it and says so.
    const again = await runCli(['ingest', '--replay', link], { env });
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain('1 quarantined file(s) passed over (trawl quarantine retry)');
    const listed = await runCli(['quarantine', '--json'], { env });
    expect((JSON.parse(listed.stdout) as { files: { path: string; reason: string }[] }).files).toEqual([
      expect.objectContaining({ path: 'demo_store/2026-02-02/20260202T060000Z-plink.jsonl', reason: expect.stringMatching(/leads out of the raw folder/) }),
    ]);
    // trawl status counts it under the spider whose folder it is in.
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { spider: string; quarantined_files: number }[];
    expect(status.find((r) => r.spider === 'demo_store')?.quarantined_files).toBe(1);
    const retry = await runCli(['quarantine', 'retry'], { env });
    expect(retry.stdout).toMatch(/1 quarantined file\(s\) will be tried again by the next ingest/);
    const afterRetry = await runCli(['ingest', '--replay', link], { env });
    expect(afterRetry.code).toBe(EXIT.partial);
    fs.rmSync(link);
  });
});

describe('poison landing objects', () => {
  const put = (Key: string, Body: Buffer | string) => createS3Client(loadConfig({ S3_ENDPOINT: s3.endpoint }).s3).send(new PutObjectCommand({ Bucket: 'landing', Key, Body }));

  it('reads a last line without a newline, refuses a huge line without holding it, and caps a gzip bomb, in bounded memory', async () => {
    const tmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
    // What a killed ingest left: its process is gone.
    fs.mkdirSync(path.join(tmp, 'trawl-landing-999999999-dead01'));
    fs.writeFileSync(path.join(tmp, 'trawl-landing-999999999-dead01', 'object.jsonl'), 'x'.repeat(1000));
    await put('drop/a-no-newline.jsonl', `${line('partner:a1:us', offer('a1'), null, 'partner')}\n${line('partner:a2:us', offer('a2'), null, 'partner')}`);
    const hugeLine = Buffer.concat([Buffer.from('{"source":"partner","blob":"'), Buffer.alloc(150 * 1024 * 1024, 0x61), Buffer.from('"}')]);
    await put('drop/b-huge-line.jsonl', Buffer.concat([Buffer.from(`${line('partner:b1:us', offer('b1'), null, 'partner')}\n`), hugeLine, Buffer.from(`\n${line('partner:b2:us', offer('b2'), null, 'partner')}\n`)]));
    // 400 MB of spaces in about 400 KB, compressed as it is made.
    await put('drop/c-bomb.jsonl.gz', await gzipOf(Buffer.alloc(1 << 20, 0x20), 400));
    await put('drop/d-after.jsonl', `${line('partner:d1:us', offer('d1'), null, 'partner')}\n`);

    const r = await cliWithRss(['ingest', '--from', 's3://landing/drop/'], { TMPDIR: tmp, LANDING_MAX_BYTES: String(200 * 1024 * 1024) });
    expect(r.code, r.stderr).toBe(EXIT.partial);
    // Node 20 and the pinned AWS SDK: its notice about Node 22 is not printed on every command.
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    const keys = (await database.pool.query(`SELECT key FROM staging.key_state WHERE source = 'partner' ORDER BY key`)).rows.map((x) => x.key);
    // The last line without a newline landed; the huge line's neighbours landed; the object after the bomb landed.
    expect(keys).toEqual(['partner:a1:us', 'partner:a2:us', 'partner:b1:us', 'partner:b2:us', 'partner:d1:us']);
    const files = (await database.pool.query<{ path: string; reason: string }>('SELECT path, reason FROM staging.quarantined_files WHERE path LIKE $1', ['s3://landing/%'])).rows;
    expect(files).toEqual([expect.objectContaining({ path: expect.stringMatching(/^s3:\/\/landing\/drop\/c-bomb\.jsonl\.gz@/), reason: expect.stringMatching(/more than 209715200 bytes after decompression \(LANDING_MAX_BYTES\)/) })]);
    const huge = (await database.pool.query<{ reason: string }>(`SELECT reason FROM staging.quarantine WHERE reason LIKE 'line of %'`)).rows.map((x) => x.reason);
    expect(huge).toContain(`line of ${hugeLine.length} bytes is over the limit of 1048576 bytes`);
    // The killed ingest's folder is swept, this one's removed: nothing of trawl's is left in TMPDIR.
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('trawl-'))).toEqual([]);
    // Generous: the line is skipped, never held; the bomb is cut at the cap as it streams.
    expect(r.rssMb).toBeLessThan(250);
  });
});

describe('a disk that fills during a crawl', () => {
  it('keeps the response bodies readable up to where the disk filled, and reparse says its run is incomplete', async () => {
    const dataDir = fs.mkdtempSync(path.join(dir, 'full-disk-'));
    const bodies = path.join(dataDir, 'bodies');
    fs.mkdirSync(bodies, { recursive: true });
    // A 4 KB file system for the bodies only (a few pages' worth): the raw file, elsewhere, keeps every page.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', bodies]);
    try {
      const demo = await startDemoServer({ day: 1 });
      let crawl;
      try {
        crawl = await runCli(['crawl', 'demo_store', '--day', '1', '--base-url', demo.baseUrl], { env: { TRAWL_DATA_DIR: dataDir, LOG_LEVEL: 'info', LOG_FORMAT: 'json' } });
      } finally {
        await demo.close();
      }
      expect(crawl.code, crawl.stderr).toBe(EXIT.ok);
      expect(crawl.stderr).toContain('response bodies are no longer kept for this run');
      const day = path.join(dataDir, 'raw', 'demo_store', '2026-01-01');
      const runId = fs.readdirSync(day).find((f) => f.endsWith('.jsonl'))!.replace(/\.jsonl$/, '');
      const reparse = await runCli(['reparse', runId], { env: { TRAWL_DATA_DIR: dataDir } });
      expect(reparse.code, reparse.stderr).toBe(EXIT.partial);
      expect(reparse.stdout).toMatch(/the run kept no body for \d+ of its pages \(they were cut, e\.g\. by a full disk\): this reparse is incomplete and delists nothing/);
      // What was kept reads back whole: the reparse has records, and its end line says incomplete.
      const lines = fs.readFileSync(path.join(day, `${runId}.reparse-1.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.filter((l) => !l.control).length).toBeGreaterThan(0);
      expect(lines.at(-1)).toMatchObject({ control: 'end', complete: false });
    } finally {
      execFileSync('umount', [bodies]);
    }
  });
});
