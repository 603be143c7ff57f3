// Validate once: the crawl validates every record; ingest trusts trawl's own files crawled with the
// current schema hash, and validates again any other file (another hash, none, a landing object).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import type { Database } from '../../src/db/database.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { sourceRulesOf } from '../../src/pipeline/source-rules.ts';
import type { SpiderDefinition } from '../../src/spiders/define-spider.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { resolveSpiders, SPIDERS_DIR } from '../../src/spiders/registry.ts';
import { schemaHash } from '../../src/spiders/lib/schema-hash.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let rawDir: string;
let database: Database;
let testDb: TestDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-validate-once-'));
  ({ database, testDb } = await openTestDatabase(dir));
  rawDir = path.join(dir, 'data', 'raw');
});

afterAll(async () => {
  await database.close();
  await testDb.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const CURRENT = 'a'.repeat(64);
const spider = { name: 'shop', entity: 'offer', schema: z.object({ id: z.string(), amount: z.number().int() }).strict(), key: (r: { id: string }) => `shop:${r.id}`, schemaHash: CURRENT } as unknown as SpiderDefinition;
const rules = sourceRulesOf(new Map([['shop', spider]]));
const T = (d: number) => new Date(Date.UTC(2026, 0, d, 6)).toISOString();
/** A line the crawl called valid whose data the current schema refuses: only a validating ingest sees it. */
const refused = (key: string, d: number) => [{ key: `shop:${key}`, at: T(d), data: { id: key, amount: 'n/a' } }];

describe('validate once', () => {
  it("trusts a trawl crawl's file made with the current schema hash: its valid lines are not validated again", async () => {
    const r = await ingestFile({ pool: database.pool, rawDir, file: writeRawFile(rawDir, 'shop', refused('trusted', 1), undefined, { schemaHash: CURRENT }), rules, delistMaxMissingShare: 0.5, log: silentLogger });
    expect(r).toMatchObject({ records: 1, newVersions: 1, quarantined: 0 });
  });

  it('validates again a file crawled with another schema hash, or with none', async () => {
    for (const [key, hash] of [['older', 'b'.repeat(64)], ['unhashed', undefined]] as const) {
      const r = await ingestFile({ pool: database.pool, rawDir, file: writeRawFile(rawDir, 'shop', refused(key, 2), undefined, { schemaHash: hash }), rules, delistMaxMissingShare: 0.5, log: silentLogger });
      expect(r, key).toMatchObject({ newVersions: 0, quarantined: 1 });
    }
    const { rows } = await database.pool.query("SELECT key, reason FROM staging.quarantine WHERE key IN ('shop:older', 'shop:unhashed') ORDER BY key");
    expect(rows).toEqual([
      { key: 'shop:older', reason: expect.stringMatching(/^amount: /) },
      { key: 'shop:unhashed', reason: expect.stringMatching(/^amount: /) },
    ]);
  });

  it("validates a landing object (another producer's) even when its start line claims the current hash", async () => {
    const file = writeRawFile(rawDir, 'shop', refused('landed', 3), { complete: false }, { schemaHash: CURRENT });
    const r = await ingestFile({ pool: database.pool, rawDir, file, ledgerPath: 's3://landing/shop.jsonl@etag1', whole: true, rules, delistMaxMissingShare: 0.5, log: silentLogger });
    expect(r).toMatchObject({ newVersions: 0, quarantined: 1 });
  });
});

describe('the schema hash', () => {
  it('covers the spider file and every module it imports, and changes when any of them does', () => {
    const spiders = fs.mkdtempSync(path.join(dir, 'spiders-'));
    fs.mkdirSync(path.join(spiders, 'lib'));
    fs.writeFileSync(path.join(spiders, 'lib', 'shared.ts'), "export const MAX = 10;\n");
    fs.writeFileSync(path.join(spiders, 'shop.ts'), "import { MAX } from './lib/shared.ts';\nexport default MAX;\n");
    const before = schemaHash(path.join(spiders, 'shop.ts'));
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(schemaHash(path.join(spiders, 'shop.ts'))).toBe(before);
    fs.writeFileSync(path.join(spiders, 'lib', 'shared.ts'), "export const MAX = 11;\n");
    expect(schemaHash(path.join(spiders, 'shop.ts'))).not.toBe(before);
  });

  it("is set by the registry and written in the crawl's start line", async () => {
    const [demoStore] = await resolveSpiders(['demo_store']);
    expect(demoStore!.schemaHash).toBe(schemaHash(path.join(SPIDERS_DIR, 'demo-store', 'demo-store.ts')));
    const demo = await startDemoServer({ day: 1 });
    try {
      const crawlDir = fs.mkdtempSync(path.join(dir, 'crawl-'));
      const r = await runCrawl({ spider: demoStore!, config: loadConfig({ TRAWL_DATA_DIR: crawlDir }, crawlDir), log: silentLogger, clock: fixedClock(new Date('2026-03-01T00:00:00Z')), baseUrl: demo.baseUrl, maxPages: 2 });
      const start = JSON.parse(fs.readFileSync(r.rawFile, 'utf8').split('\n')[0]!) as { control: string; schema_hash?: string };
      expect(start).toMatchObject({ control: 'start', schema_hash: demoStore!.schemaHash });
    } finally {
      await demo.close();
    }
  });
});
