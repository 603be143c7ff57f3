// The Atom feeds and the bulk history download, read back the way their users read them: the feeds
// with a real feed parser (and checked for what RFC 4287 requires), the history with gunzip.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseFeed } from '@rowanmanning/feed-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { runEtl } from '../../src/etl/index.ts';
import { runExport } from '../../src/export/run-export.ts';
import { serveFolder } from '../../src/export/serve-folder.ts';
import { openTarget } from '../../src/export/targets.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { buildPublicDataset, HOSTILE_TITLE } from '../helpers/public-dataset.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let config: Config;
let testDb: TestDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-feeds-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  await buildPublicDataset(database, config);
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const file = (rel: string) => fs.readFileSync(path.join(dir, 'public', rel));
const manifest = () => JSON.parse(file('v1/manifest.json').toString('utf8'));
const usd = (minor: number) => `${(minor / 100).toFixed(2)} USD`;

/** Checks what RFC 4287 requires of a feed and its entries, then parses it with a real feed parser. */
function readAtom(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['entry', 'link'].includes(name) }).parse(xml);
  const feed = doc.feed;
  expect(feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
  for (const required of ['id', 'title', 'updated', 'author']) expect(feed[required], `feed ${required}`).toBeDefined();
  expect(feed.link.some((l: Record<string, string>) => l['@_rel'] === 'self')).toBe(true);
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
  expect(feed.updated).toMatch(rfc3339);
  for (const e of feed.entry ?? []) {
    for (const required of ['id', 'title', 'updated']) expect(e[required], `entry ${required}`).toBeDefined();
    expect(e.updated).toMatch(rfc3339);
    expect(String(e.id)).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  return parseFeed(xml);
}

describe('Atom feeds', () => {
  it('v1/feeds/lows.atom: every drop that reached a game\'s low, newest first, valid Atom, hostile titles escaped', () => {
    const feed = readAtom(file('v1/feeds/lows.atom').toString('utf8'));
    expect(feed.title).toBe('trawl: games at their lowest price');
    const titles = feed.items.map((i) => i.title);
    // shop_two 17.99 -> 12.99 on day 3 is Clockwork Garden's all-time low in the US; demo_store's
    // 19.99 -> 14.99 on day 2 was its low then (under shop_two's 17.99 and its own 19.99).
    expect(titles).toContain(`Clockwork Garden: ${usd(1299)} at shop_two (us), all-time low`);
    expect(titles).toContain(`Clockwork Garden: ${usd(1499)} at demo_store (us), all-time low`);
    const updated = feed.items.map((i) => i.updated!.getTime());
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
    // Neon Drift 29.99 -> 24.99 was a drop to its lowest price too.
    expect(titles.some((t) => t!.startsWith('Neon Drift: '))).toBe(true);
    expect(feed.items.every((i) => i.url !== null)).toBe(true);
  });

  it('v1/feeds/drops.atom: drops of at least FEED_DROP_MIN_SHARE only', async () => {
    const feed = readAtom(file('v1/feeds/drops.atom').toString('utf8'));
    const titles = feed.items.map((i) => i.title!);
    expect(titles).toContain(`Clockwork Garden: ${usd(1499)} at demo_store (us), down 25%`);
    expect(titles).toContain(`Clockwork Garden: ${usd(1299)} at shop_two (us), down 28%`);
    // Neon Drift's 29.99 -> 24.99 is a 17% drop: under the 20% threshold.
    expect(titles.some((t) => t.startsWith('Neon Drift: '))).toBe(false);
    // The threshold comes from the setting: at 10% Neon Drift is in.
    await runExport({ database, target: openTarget(config), clock: fixedClock(new Date(demoDayTime(3).getTime() + 7_200_000)), log: silentLogger, cacheMaxAge: 60, feedDropMinShare: 0.1 });
    const wider = readAtom(file('v1/feeds/drops.atom').toString('utf8'));
    expect(wider.items.some((i) => i.title!.startsWith('Neon Drift: '))).toBe(true);
  });

  it('keeps each entry\'s id across generations, names both feeds in the manifest, and carries scraped text as text', async () => {
    const before = readAtom(file('v1/feeds/lows.atom').toString('utf8'));
    const m = manifest();
    for (const name of ['lows', 'drops']) {
      const f = m.files[`v1/feeds/${name}.atom`];
      expect(f.key).toMatch(new RegExp(`^v1/feeds/${name}\\.[0-9a-f]{16}\\.atom$`));
      expect(file(f.key).equals(file(`v1/feeds/${name}.atom`))).toBe(true);
    }
    // A new drop for the hostile title: it enters the feed, the old entries keep their ids.
    const at = demoDayTime(4).toISOString();
    const raw = writeRawFile(config.rawDir, 'shop_two', [{ key: 'shop_two:ev:us', partition: 'us', at, data: { store: 'shop_two', store_item_id: 'ev', title: HOSTILE_TITLE, url: null, region: 'us', currency: 'USD', status: 'available', amount: 199, regular_amount: 999 } }]);
    await ingestFile({ pool: database.pool, rawDir: config.rawDir, file: raw, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
    await runEtl({ database, log: silentLogger });
    await runExport({ database, target: openTarget(config), clock: fixedClock(demoDayTime(4)), log: silentLogger, cacheMaxAge: 60 });
    const after = readAtom(file('v1/feeds/lows.atom').toString('utf8'));
    expect(after.items[0]!.title).toBe(`${HOSTILE_TITLE}: ${usd(199)} at shop_two (us), all-time low`);
    const idsBefore = new Map(before.items.map((i) => [i.title, i.id]));
    for (const item of after.items.slice(1)) expect(item.id).toBe(idsBefore.get(item.title));
    expect(after.items.length).toBe(before.items.length + 1);
  });
});

describe('bulk history', () => {
  it('v1/history/prices.jsonl.gz holds every price row, as Postgres has them, with its count in the manifest', async () => {
    const m = manifest();
    const entry = m.files['v1/history/prices.jsonl.gz'];
    expect(entry.key).toMatch(/^v1\/history\/prices\.[0-9a-f]{16}\.jsonl\.gz$/);
    const lines = zlib.gunzipSync(file(entry.key)).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    const rows = lines.map((l) => JSON.parse(l));
    const pg = await database.pool.query<{ n: number; total: string }>('SELECT count(*)::int AS n, sum(amount)::text AS total FROM core.prices');
    expect(rows.length).toBe(pg.rows[0]!.n);
    expect(entry.count).toBe(rows.length);
    expect(String(rows.reduce((s, r) => s + (r.amount ?? 0), 0))).toBe(pg.rows[0]!.total);
    expect(Object.keys(rows[0])).toEqual(['listing', 'game_id', 'title', 'store', 'region', 'currency', 'source', 'status', 'amount', 'regular_amount', 'valid_from', 'valid_to']);
    // One listing's history, row for row.
    const cg = rows.filter((r) => r.title === 'Clockwork Garden' && r.store === 'demo_store' && r.region === 'us');
    const want = await database.pool.query(
      `SELECT p.amount, p.valid_from, p.valid_to FROM core.prices p JOIN core.listings l USING (listing_id) JOIN core.games g USING (game_id)
       WHERE g.title = 'Clockwork Garden' AND l.store_id = 'demo_store' AND p.region_code = 'us' ORDER BY p.valid_from`,
    );
    expect(cg.map((r) => [r.amount, r.valid_from, r.valid_to])).toEqual(want.rows.map((r) => [r.amount, r.valid_from.toISOString(), r.valid_to?.toISOString() ?? null]));
    expect(cg.map((r) => r.amount)).toEqual([1999, 1499, 1999]);
  });

  it('is not uploaded again when the history did not change, and downloads as gzip without Content-Encoding', async () => {
    const before = manifest().files['v1/history/prices.jsonl.gz'];
    const r = await runExport({ database, target: openTarget(config), clock: fixedClock(demoDayTime(5)), log: silentLogger, cacheMaxAge: 60 });
    expect(manifest().generation).toBe(r.generation);
    expect(manifest().files['v1/history/prices.jsonl.gz']).toEqual(before);
    const site = await serveFolder(path.join(dir, 'public'), { port: 0, cacheMaxAge: 60 });
    try {
      const res = await fetch(`${site.url}/${before.key}`);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const body = Buffer.from(await res.arrayBuffer());
      expect(zlib.gunzipSync(body).toString('utf8').split('\n').length - 1).toBe(before.count);
      const atom = await fetch(`${site.url}/v1/feeds/lows.atom`);
      expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
      await atom.arrayBuffer();
    } finally {
      await site.close();
    }
  });
});
