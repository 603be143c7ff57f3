// The demo store end to end for two days, through the real crawler (Cheerio and Chromium), real
// Postgres and the file export target. Expected figures come from the demo catalogue's own diff.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { demoCatalogue, DEMO_REGIONS, type DemoRegion } from '../../src/spiders/demo-store/demo-catalogue.ts';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runPipeline, type PipelineResult } from '../../src/pipeline/run-pipeline.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { dataState } from '../helpers/data-state.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

/** The offers a day's catalogue implies, keyed as the spider keys them, volatile fields left out. */
function expectedOffers(day: number) {
  const offers = new Map<string, string>();
  for (const p of demoCatalogue(day)) {
    for (const region of Object.keys(DEMO_REGIONS) as DemoRegion[]) {
      const o = p.offers[region];
      offers.set(`demo_store:${p.id}:${region}`, JSON.stringify([p.title, o.amount, o.regular, o.free ?? false]));
    }
  }
  return offers;
}

function diff(before: Map<string, string>, after: Map<string, string>) {
  const keys = [...after.keys()];
  return {
    added: keys.filter((k) => !before.has(k)).length,
    changed: keys.filter((k) => before.has(k) && before.get(k) !== after.get(k)).length,
    unchanged: keys.filter((k) => before.get(k) === after.get(k)).length,
    removed: [...before.keys()].filter((k) => !after.has(k)).length,
  };
}

let dir: string;
let database: Database;
let config: Config;
let testDb: TestDatabase;
let server: DemoServer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-demo-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  server = await startDemoServer({ day: 1 });
});

afterAll(async () => {
  await server?.close();
  await database?.close();
  await testDb?.drop();
});

async function runDay(day: number): Promise<PipelineResult> {
  server.setDay(day);
  return runPipeline({ spiders: [demoStore], config, database, log: silentLogger, clock: fixedClock(demoDayTime(day)), day, baseUrl: server.baseUrl });
}

const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(dir, 'public', rel), 'utf8'));

describe('demo pipeline', () => {
  let afterTwoDays: Awaited<ReturnType<typeof dataState>>;

  it('day 1 lands every offer as a first version, crawling the JavaScript page in Chromium', async () => {
    const r = await runDay(1);
    const offers = expectedOffers(1);
    expect(r.crawls[0]).toMatchObject({ complete: true, failedRequests: 0, invalid: 0, robotsSkipped: 1 });
    expect(r.ingest).toMatchObject({ records: offers.size, newVersions: offers.size, unchanged: 0, delisted: 0, quarantined: 0 });
    expect(server.hits.get('/admin/picks')).toBeUndefined();
    // p05 is rendered by JavaScript: only the browser route can have read its prices.
    const p05 = demoCatalogue(1).find((p) => p.id === 'p05')!;
    const { rows } = await database.pool.query(`SELECT data FROM staging.versions WHERE key = 'demo_store:p05:us'`);
    expect(rows[0].data.amount).toBe(p05.offers.us.amount);
  });

  it('day 2 lands exactly the changes the demo store made', async () => {
    const r = await runDay(2);
    const d = diff(expectedOffers(1), expectedOffers(2));
    expect(d.changed).toBeGreaterThan(0);
    expect(d.removed).toBeGreaterThan(0);
    expect(r.ingest).toMatchObject({
      records: expectedOffers(2).size,
      newVersions: d.added + d.changed,
      unchanged: d.unchanged,
      delisted: d.removed,
      quarantined: 0,
    });
  });

  it('exports the deals and each game\'s price history the catalogue implies', async () => {
    const deals = readJson('v1/deals.json');
    const expected = demoCatalogue(2)
      .flatMap((p) => (Object.keys(DEMO_REGIONS) as DemoRegion[]).map((region) => ({ title: p.title, region, o: p.offers[region] })))
      .filter(({ o }) => o.amount !== null && o.regular !== null && o.regular > o.amount)
      .map(({ title, region, o }) => [title, region, o.amount, o.regular])
      .sort();
    expect(deals.count).toBe(expected.length);
    expect(deals.data.map((d: Record<string, unknown>) => [d.title, d.region, d.amount, d.regular_amount]).sort()).toEqual(expected);
    expect(deals.updated_at).toBe(demoDayTime(2).toISOString());

    // p03 went on sale on day 2: its history holds both prices, the first one closed.
    const p03 = deals.data.find((d: { title: string }) => d.title === 'Clockwork Garden');
    const history = readJson(`v1/games/${p03.game_id}.json`);
    const us = history.data.filter((h: { region: string }) => h.region === 'us');
    expect(us.map((h: { amount: number; valid_to: string | null }) => [h.amount, h.valid_to])).toEqual([
      [1999, demoDayTime(2).toISOString()],
      [1499, null],
    ]);

    // p07 disappeared: its listing shows as delisted, never as a zero price.
    const games = readJson('v1/games.json');
    const p07 = games.data.filter((g: { title: string }) => g.title === 'Sunken Bell');
    expect(p07.map((g: { status: string; amount: null }) => [g.status, g.amount])).toEqual([['delisted', null], ['delisted', null]]);

    const manifest = readJson('v1/manifest.json');
    for (const [stable, entry] of Object.entries(manifest.files) as [string, { key: string; sha256: string }][]) {
      const bytes = fs.readFileSync(path.join(dir, 'public', entry.key));
      expect(fs.readFileSync(path.join(dir, 'public', stable))).toEqual(bytes);
    }
    afterTwoDays = await dataState(database, path.join(dir, 'public'));
  });

  it('running day 2 again, and the whole demo again, changes nothing', async () => {
    const again = await runDay(2);
    expect(again.ingest).toMatchObject({ newVersions: 0, delisted: 0 });
    expect(again.export.uploaded).toBe(0);
    await runDay(1);
    await runDay(2);
    expect(await dataState(database, path.join(dir, 'public'))).toEqual(afterTwoDays);
  });
});
