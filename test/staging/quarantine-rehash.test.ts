// Quarantine retry after a schema fix, and the deliberate hash-version rollout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { sourceRulesOf } from '../../src/pipeline/source-rules.ts';
import type { SpiderDefinition } from '../../src/spiders/define-spider.ts';
import type { SourceRulebook } from '../../src/staging/source-rules.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { locateUnder } from '../../src/staging/overlapping-sightings.ts';
import { listQuarantine, retryQuarantine } from '../../src/staging/quarantine.ts';
import { rehashStaging } from '../../src/staging/rehash.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let rawDir: string;
let database: Database;
let testDb: TestDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-quarantine-'));
  ({ database, testDb } = await openTestDatabase(dir));
  rawDir = path.join(dir, 'data', 'raw');
});

afterAll(async () => {
  await database.close();
  await testDb.drop();
});

/** A minimal spider definition: only its schema, key and entity matter to ingest. */
function shopSpider(schema: z.ZodType): SourceRulebook {
  const spider = { name: 'shop', entity: 'offer', schema, key: (r: { id: string }) => `shop:${r.id}`, volatile: [] } as unknown as SpiderDefinition;
  return sourceRulesOf(new Map([['shop', spider]]));
}

const strict = z.object({ id: z.string(), amount: z.number().int() }).strict();
const fixed = z.object({ id: z.string(), amount: z.number().int(), currency: z.string().optional() }).strict();
const T = (d: number) => new Date(Date.UTC(2026, 0, d, 6)).toISOString();

describe('quarantine retry', () => {
  it('lands what a fixed schema accepts and keeps the rest with a new reason', async () => {
    const file = writeRawFile(rawDir, 'shop', [
      { key: 'shop:a', at: T(1), data: { id: 'a', amount: 100, currency: 'USD' } },
      { key: 'shop:b', at: T(1), data: { id: 'b', amount: 'n/a' } },
      { key: 'shop:c', at: T(1), data: { id: 'c', amount: 5 } },
    ]);
    const r = await ingestFile({ pool: database.pool, rawDir, file, rules: shopSpider(strict), delistMaxMissingShare: 0.5, log: silentLogger });
    expect(r).toMatchObject({ newVersions: 1, quarantined: 2 });
    const before = await listQuarantine(database.pool);
    expect(before.map((q) => [q.key, q.raw_line])).toEqual([['shop:a', 2], ['shop:b', 3]]);
    expect(before[0]!.reason).toMatch(/Unrecognized key.*currency/);

    const retried = await retryQuarantine(database.pool, shopSpider(fixed), locateUnder(rawDir), silentLogger);
    expect(retried).toEqual({ retried: 2, landed: 1, stillQuarantined: 1, newVersions: 1 });
    const after = await listQuarantine(database.pool);
    expect(after.map((q) => q.key)).toEqual(['shop:b']);
    expect(after[0]!.reason).toMatch(/^amount: /);
    const { rows } = await database.pool.query(`SELECT raw_line, valid_from FROM staging.versions WHERE key = 'shop:a'`);
    // Lineage and observation time are those of the original line.
    expect(rows).toEqual([{ raw_line: 2, valid_from: new Date(T(1)) }]);
    // Nothing changes on a second retry of what stays invalid.
    expect(await retryQuarantine(database.pool, shopSpider(fixed), locateUnder(rawDir), silentLogger)).toMatchObject({ landed: 0, stillQuarantined: 1 });
  });

  it("lands a retried record observed inside another complete crawl's window as the real times say", async () => {
    const ingest = (file: string, rules: SourceRulebook) =>
      ingestFile({ pool: database.pool, rawDir, file, rules, delistMaxMissingShare: 0.5, log: silentLogger });
    const at = (h: number, m = 0) => new Date(Date.UTC(2026, 0, 21, h, m)).toISOString();
    const record = (id: string, amount: number, extra = {}) => ({ key: `shop:${id}`, data: { id, amount, ...extra } });
    await ingest(writeRawFile(rawDir, 'shop', [{ ...record('f', 100), at: T(20) }, { ...record('g', 1), at: T(20) }], { complete: true, startedAt: T(20) }), shopSpider(fixed));
    // A complete crawl 06:00-10:00 saw f unchanged at 06:01.
    await ingest(writeRawFile(rawDir, 'shop', [{ ...record('f', 100), at: at(6, 1) }, { ...record('g', 1), at: at(10) }], { complete: true, startedAt: at(6) }), shopSpider(fixed));
    // Another crawl saw f at 80 at 08:05, refused by the schema of the day.
    expect(await ingest(writeRawFile(rawDir, 'shop', [{ ...record('f', 80, { currency: 'USD' }), at: at(8, 5) }]), shopSpider(strict))).toMatchObject({ quarantined: 1 });
    expect(await retryQuarantine(database.pool, shopSpider(fixed), locateUnder(rawDir), silentLogger)).toMatchObject({ landed: 1, newVersions: 1 });
    const { rows } = await database.pool.query(`SELECT valid_from, data->'amount' AS amount FROM staging.versions WHERE key = 'shop:f' ORDER BY version`);
    expect(rows).toEqual([{ valid_from: new Date(T(20)), amount: 100 }, { valid_from: new Date(at(8, 5)), amount: 80 }]);
  });

  it('lands a changed record that a complete crawl quarantined, though that crawl saw its key', async () => {
    const ingest = (file: string, rules: SourceRulebook) =>
      ingestFile({ pool: database.pool, rawDir, file, rules, delistMaxMissingShare: 0.5, log: silentLogger });
    const day = (d: number, dAmount: number | string) =>
      writeRawFile(rawDir, 'shop', [
        { key: 'shop:d', at: T(d), data: { id: 'd', amount: dAmount, currency: 'USD' } },
        { key: 'shop:e', at: T(d), data: { id: 'e', amount: 1 } },
      ], { complete: true });
    await ingest(day(11, 100), shopSpider(fixed));
    // Day 12's crawl is complete and sees both keys, but d's changed record is refused.
    expect(await ingest(day(12, 90), shopSpider(strict))).toMatchObject({ quarantined: 1, delisted: 0 });
    expect(await retryQuarantine(database.pool, shopSpider(fixed), locateUnder(rawDir), silentLogger)).toMatchObject({ landed: 1, newVersions: 1 });
    const { rows } = await database.pool.query(`SELECT version, valid_from, data->'amount' AS amount FROM staging.versions WHERE key = 'shop:d' ORDER BY version`);
    expect(rows).toEqual([{ version: 1, valid_from: new Date(T(11)), amount: 100 }, { version: 2, valid_from: new Date(T(12)), amount: 90 }]);
  });
});

describe('hash version', () => {
  it('refuses to compare hashes of another version until `rehash`, which makes no version by itself', async () => {
    const obs = (d: number) => [{ key: 'h:1', at: T(d), data: { amount: 1, title: 'Pok\u00e9mon' } }, { key: 'h:2', at: T(d), data: { amount: 2 } }];
    const ingest = (d: number) => ingestFile({ pool: database.pool, rawDir, file: writeRawFile(rawDir, 'h', obs(d)), rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
    await ingest(2);
    // Pretend staging was hashed by an older canonical form.
    await database.pool.query(`UPDATE staging.versions SET hash = sha256(hash), hash_version = 0 WHERE source = 'h'`);
    await database.pool.query(`UPDATE staging.key_state SET hash = sha256(hash), hash_version = 0 WHERE source = 'h'`);
    await database.pool.query('UPDATE staging.hash_state SET hash_version = 0');
    await expect(ingest(3)).rejects.toThrow('staging holds hash version 0, this trawl computes version 1: run `trawl rehash` first');
    // A new source's first crawl is refused too: it would land hashes beside the older ones.
    const newSource = writeRawFile(rawDir, 'h2', obs(3));
    await expect(ingestFile({ pool: database.pool, rawDir, file: newSource, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger })).rejects.toThrow(/run `trawl rehash` first/);

    const r = await rehashStaging(database.pool);
    expect(r).toMatchObject({ from: 0, to: 1 });
    expect((await ingest(4)).newVersions).toBe(0);
  });
});

describe('what is new in quarantine', () => {
  it('counts every quarantined line, and as new only a source, key and reason no earlier file had', async () => {
    const ingest = (d: number, invalid: { key: string; reason: string }[]) =>
      ingestFile({
        pool: database.pool,
        rawDir,
        file: writeRawFile(rawDir, 'known', [{ key: 'known:ok', at: T(d), data: { id: 'ok', amount: d } }, ...invalid.map((i) => ({ key: i.key, at: T(d), data: null, invalid: i.reason }))], { complete: true }),
        rules: new Map(),
        delistMaxMissingShare: 0.5,
        log: silentLogger,
      });
    expect(await ingest(20, [{ key: 'known:x', reason: 'price: cannot read "—"' }])).toMatchObject({ quarantined: 1, newQuarantined: 1 });
    // The same item, unreadable the same way, the next day: counted, not news.
    expect(await ingest(21, [{ key: 'known:x', reason: 'price: cannot read "—"' }])).toMatchObject({ quarantined: 1, newQuarantined: 0 });
    // A new reason for the same key, and a new key: news.
    expect(await ingest(22, [{ key: 'known:x', reason: 'currency: unknown' }, { key: 'known:y', reason: 'price: cannot read "—"' }])).toMatchObject({ quarantined: 2, newQuarantined: 2 });
    // Keyless lines compare by source and reason.
    expect(await ingest(23, [{ key: null as never, reason: 'record: no id' }])).toMatchObject({ newQuarantined: 1 });
    expect(await ingest(24, [{ key: null as never, reason: 'record: no id' }])).toMatchObject({ newQuarantined: 0 });
  });

  it('a complete crawl that found no record at all is recorded collapsed, so status and alerts show it, and delists nothing', async () => {
    const first = await ingestFile({ pool: database.pool, rawDir, file: writeRawFile(rawDir, 'empty', [], { complete: true, startedAt: T(25), finishedAt: T(25) }), rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
    expect(first).toMatchObject({ records: 0, delisted: 0, collapsed: ['(no records)'] });
    const { rows } = await database.pool.query(`SELECT partition, records, complete, collapsed FROM staging.crawl_partitions WHERE source = 'empty'`);
    expect(rows).toEqual([{ partition: '(no records)', records: 0, complete: true, collapsed: true }]);
  });
});
