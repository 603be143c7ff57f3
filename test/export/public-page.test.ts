// The public page, loaded from `trawl serve`'s folder server in real headless Chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../src/crawl/crawler-factory.ts';
import type { Database } from '../../src/db/database.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { serveFolder, type FolderServer } from '../../src/export/serve-folder.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let testDb: TestDatabase;
let site: FolderServer;
let browser: Browser;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-page-'));
  let config;
  ({ database, config, testDb } = await openTestDatabase(dir));
  const demo = await startDemoServer({ day: 1 });
  for (const day of [1, 2, 3]) {
    demo.setDay(day);
    await runPipeline({ spiders: [demoStore], config, database, log: silentLogger, clock: fixedClock(demoDayTime(day)), day, baseUrl: demo.baseUrl });
  }
  await demo.close();
  site = await serveFolder(path.join(dir, 'public'), { port: 0, cacheMaxAge: 60 });
  browser = await chromium.launch({ executablePath: config.chromiumPath, args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await database?.close();
  await testDb?.drop();
});

const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(dir, 'public', rel), 'utf8'));

describe('public page', () => {
  it('shows the deals, the generation time, a search, and a game\'s price chart that matches the JSON', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(site.url)) outside.push(r.url());
    });
    await page.goto(`${site.url}/`);
    await page.waitForSelector('body[data-ready=true]');

    const deals = readJson('v1/deals.json');
    const manifest = readJson('v1/manifest.json');
    await expect(page.locator('#deals tbody tr').count()).resolves.toBe(deals.count);
    expect(await page.textContent('#generation')).toContain(manifest.generation);
    // Sorted by discount: the first row is the deal with the biggest discount, priced from the JSON.
    const top = deals.data[0];
    const firstRow = page.locator('#deals tbody tr').first();
    expect(await firstRow.locator('td').first().textContent()).toBe(top.title);
    expect(await firstRow.locator('td.price').textContent()).toBe(`${(top.amount / 100).toFixed(2)} ${top.currency}`);

    await page.fill('#search', 'neon');
    await expect(page.locator('#deals tbody tr').count()).resolves.toBe(deals.data.filter((d: { title: string }) => d.title.toLowerCase().includes('neon')).length);
    await page.fill('#search', '');

    // Clockwork Garden went 19.99 -> 14.99 -> 19.99 in the US: three points, one labelled 14.99 USD.
    const games = readJson('v1/games.json');
    const cg = games.data.find((g: { title: string }) => g.title === 'Clockwork Garden');
    await page.goto(`${site.url}/#game=${cg.game_id}`);
    await page.waitForSelector('.chart');
    const history = readJson(`v1/games/${cg.game_id}.json`).data.filter((h: { region: string; amount: number | null }) => h.region === 'us' && h.amount !== null);
    const usChart = page.locator('.chart', { hasText: 'demo_store · us · USD' });
    await expect(usChart.locator('circle.point').count()).resolves.toBe(history.length);
    expect(history.map((h: { amount: number }) => h.amount)).toEqual([1999, 1499, 1999]);
    expect(await usChart.locator('text.label').allTextContents()).toContain('14.99 USD');
    expect(await usChart.locator('circle.point').nth(1).getAttribute('data-amount')).toBe('1499');

    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/public-page-game.png', fullPage: true });
    await page.goto(`${site.url}/`);
    await page.waitForSelector('body[data-ready=true]');
    await page.screenshot({ path: 'test-results/public-page-deals.png', fullPage: true });
    expect(errors).toEqual([]);
    expect(outside).toEqual([]); // no third-party CDN
    await page.close();
  });
});
