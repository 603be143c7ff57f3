// The public page as a person sees it, in real headless Chromium: from `trawl serve`'s folder server
// and from a real S3-API server, at a phone's width and a desktop's. Screenshots go to test-results/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../src/crawl/crawler-factory.ts';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { runExport } from '../../src/export/run-export.ts';
import { serveFolder, type FolderServer } from '../../src/export/serve-folder.ts';
import { openTarget } from '../../src/export/targets.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { buildPublicDataset, HOSTILE_TITLE } from '../helpers/public-dataset.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let config: Config;
let testDb: TestDatabase;
let site: FolderServer;
let s3: S3Server;
let browser: Browser;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-page-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  await buildPublicDataset(database, config);
  site = await serveFolder(path.join(dir, 'public'), { port: 0, cacheMaxAge: 60 });
  s3 = await startS3Server(['public']);
  browser = await chromium.launch({ executablePath: config.chromiumPath, args: CHROMIUM_ARGS, headless: true });
  fs.mkdirSync('test-results', { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await s3?.close();
  await site?.close();
  await database?.close();
  await testDb?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const readJson = (rel: string) => JSON.parse(fs.readFileSync(path.join(dir, 'public', rel), 'utf8'));
const usd = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);
const gameId = (title: string) => readJson('v1/games.json').data.find((g: { title: string }) => g.title === title).game_id as string;

/** A page that records errors and any request leaving `base`. */
async function open(base: string, width: number, hash = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, locale: 'en-US' });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(base.slice(0, base.lastIndexOf('/') + 1))) problems.push(`request outside the export: ${r.url()}`);
  });
  await page.goto(`${base}${hash}`);
  await page.waitForSelector('body[data-ready=true]');
  return { page, problems };
}

async function gamePage(base: string, width: number, title: string) {
  const opened = await open(base, width, `#game=${gameId(title)}`);
  await opened.page.waitForSelector('.chart canvas');
  return opened;
}

/** What each uPlot chart of the page draws: its region, series labels and data (x, then one array per series). */
const charts = (page: Page) =>
  page.evaluate(
    `state.charts.map((u) => ({ region: u.root.closest('.chart').dataset.region, labels: u.series.map((s) => s.label), data: u.data }))`,
  ) as Promise<{ region: string; labels: string[]; data: (number | null)[][] }[]>;

/**
 * The lowest WCAG contrast ratio between the text colour of each visible element holding text and the
 * background it is drawn on (the nearest ancestor's that is not transparent), with where it is.
 */
async function lowestContrast(page: Page): Promise<{ ratio: number; where: string }> {
  const pairs = await page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const out: { fg: number[]; bg: number[]; where: string }[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '');
      if (!own || el.offsetParent === null || el.closest('.u-legend, .skip')) continue;
      let bgEl: HTMLElement | null = el;
      while (bgEl && rgb(getComputedStyle(bgEl).backgroundColor)[3] === 0) bgEl = bgEl.parentElement;
      out.push({ fg: rgb(getComputedStyle(el).color), bg: rgb(bgEl ? getComputedStyle(bgEl).backgroundColor : 'rgb(255, 255, 255)'), where: `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent!.trim().slice(0, 30)}` });
    }
    return out;
  });
  const luminance = ([r, g, b]: number[]) =>
    [r!, g!, b!].map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i]!, 0);
  const ratios = pairs.map((p) => {
    const [a, b] = [luminance(p.fg), luminance(p.bg)].sort((x, y) => y - x);
    return { ratio: (a! + 0.05) / (b! + 0.05), where: p.where };
  });
  expect(ratios.length).toBeGreaterThan(10);
  return ratios.reduce((lo, r) => (r.ratio < lo.ratio ? r : lo));
}

/** Nothing is wider than the screen: no sideways scrolling of the page itself. */
const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describe('public page', () => {
  it('first screen: the generation, the biggest discounts in the reader\'s currency format, and every letter of the catalogue', async () => {
    for (const width of [1280, 390]) {
      const { page, problems } = await open(`${site.url}/`, width);
      const status = readJson('v1/status.json');
      expect(await page.textContent('#generation')).toContain(status.generation);
      const top = readJson('v1/deals/top.json');
      await expect(page.locator('#deals tbody tr').count()).resolves.toBe(top.count);
      const first = page.locator('#deals tbody tr').first();
      expect(await first.locator('td').first().textContent()).toBe(top.data[0].title);
      expect(await first.locator('td.price').textContent()).toBe(new Intl.NumberFormat('en-US', { style: 'currency', currency: top.data[0].currency }).format(top.data[0].amount / 100));
      const letters = [...new Set<string>(readJson('v1/catalog/index.json').data.map((p: { letter: string }) => p.letter))];
      // A to Z, with digits first and everything else (#) last.
      expect(await page.locator('#letters a').allTextContents()).toEqual(letters.map((l) => (l === 'other' ? '#' : l === '0-9' ? '0-9' : l.toUpperCase())));
      expect(await page.locator('#letters a').last().textContent()).toBe('#');
      expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      // WCAG AA: 4.5:1 for normal text, everywhere on the screen.
      const contrast = await lowestContrast(page);
      expect(contrast.ratio, contrast.where).toBeGreaterThanOrEqual(4.5);
      await page.screenshot({ path: `test-results/page-home-${width}.png`, fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it('finds a game that is not on sale by a word of its title, and browses every game A to Z', async () => {
    const { page, problems } = await open(`${site.url}/`, 390);
    const deals = readJson('v1/deals.json').data.map((d: { title: string }) => d.title);
    expect(deals).not.toContain('Lantern Road');
    await page.fill('#search', 'ROAD lant');
    await page.waitForSelector('body[data-searched="ROAD lant"]');
    expect(await page.locator('#results li').allTextContents()).toEqual(['Lantern Road']);
    expect(await page.textContent('#search-status')).toContain('1 game found');
    await page.screenshot({ path: 'test-results/page-search-390.png', fullPage: true });

    await page.fill('#search', 'zzzz');
    await page.waitForSelector('body[data-searched="zzzz"]');
    await expect(page.locator('#results li').count()).resolves.toBe(0);
    expect(await page.textContent('#search-status')).toContain('No games found');

    await page.click('a[href="#browse"]');
    await page.waitForSelector('body[data-route="browse"]');
    const firstPage = readJson('v1/catalog/index.json').data[0];
    const listed = readJson(`v1/catalog/${firstPage.page}.json`).data.map((g: { title: string }) => g.title);
    expect(await page.locator('#catalog li a').allTextContents()).toEqual(listed);
    await page.click('#letters a[data-letter="l"]');
    await page.waitForSelector('#catalog li[data-game] >> text=Lantern Road');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a game at two stores: the cheapest offer marked, both lows with their dates, one stepped series per store, A -> B -> A kept', async () => {
    for (const width of [1280, 390]) {
      const { page, problems } = await gamePage(`${site.url}/`, width, 'Clockwork Garden');
      expect(await page.textContent('#game-title')).toBe('Clockwork Garden');
      // Now: demo_store 19.99, shop_two 12.99 in the US: shop_two is the cheapest there.
      const cheapest = page.locator('#offers tr.cheapest[data-region="us"]');
      expect(await cheapest.getAttribute('data-store')).toBe('shop_two');
      expect(await cheapest.locator('td.price').textContent()).toBe(usd(1299));
      expect(await cheapest.locator('a').getAttribute('href')).toBe('https://shop-two.example/app/cg');

      const us = page.locator('.chart[data-region="us"]');
      expect(await us.getAttribute('data-series')).toBe('demo_store|shop_two');
      // The all-time low is shop_two's 12.99 of day 3; the marts say so, and so does the page.
      const history = readJson(`v1/games/${gameId('Clockwork Garden')}.json`).data.filter((h: { region: string }) => h.region === 'us');
      expect(history[0].low_all_time).toBe(1299);
      expect(history[0].low_all_time_store).toBe('shop_two');
      expect(Date.parse(history[0].low_all_time_at)).toBe(demoDayTime(3).getTime());
      const low = us.locator('dd.low-all-time');
      expect(await low.getAttribute('data-amount')).toBe('1299');
      expect(await low.textContent()).toBe(`${usd(1299)} at shop_two, ${new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }).format(demoDayTime(3))}`);
      expect(await us.locator('dd.low-90-days').getAttribute('data-amount')).toBe('1299');

      // demo_store's US history is 19.99 -> 14.99 -> 19.99, each price held until the next.
      const demoRows = us.locator('table.history tr', { hasText: 'demo_store' });
      expect(await demoRows.evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-amount'))))).toEqual([1999, 1499, 1999]);
      const series = (await charts(page)).find((c) => c.region === 'us')!;
      expect(series.labels.slice(1)).toEqual(['demo_store', 'shop_two', 'all-time low', '90-day low']);
      // Stepped: between two observations demo_store's value stays what it was.
      const xs = series.data[0]!;
      const day2 = xs.indexOf(demoDayTime(2).getTime() / 1000);
      expect(series.data[1]![day2]).toBe(14.99);
      expect(series.data[1]![day2 - 1]).toBe(19.99);
      expect(series.data[1]!.at(-1)).toBe(19.99);
      expect(series.data[2]!.at(-1)).toBe(12.99);
      expect(await pageWidth(page)).toBeLessThanOrEqual(width);
      const contrast = await lowestContrast(page);
      expect(contrast.ratio, contrast.where).toBeGreaterThanOrEqual(4.5);
      await page.screenshot({ path: `test-results/page-game-two-stores-${width}.png`, fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it('a delisted game: not for sale now, and its line stops where it was delisted', async () => {
    const { page, problems } = await gamePage(`${site.url}/`, 1280, 'Sunken Bell');
    expect(await page.textContent('#game-note')).toContain('Not for sale at any store now');
    const us = (await charts(page)).find((c) => c.region === 'us')!.data;
    // Priced from day 1 up to the delisting on day 2 (a point a second before it keeps the line drawn),
    // then a gap to the end.
    const delisted = us[0]!.indexOf(demoDayTime(2).getTime() / 1000);
    expect(us[1]![0]).toBe(12.99);
    expect(us[1]![delisted - 1]).toBe(12.99);
    expect(us[1]!.slice(delisted).every((v) => v === null)).toBe(true);
    expect(await page.locator('#offers tbody tr td.price').allTextContents()).toEqual(['delisted', 'delisted']);
    await page.screenshot({ path: 'test-results/page-game-delisted-1280.png', fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('works from the keyboard, shows scraped text as text, and says clearly when data does not load', async () => {
    const { page, problems } = await open(`${site.url}/`, 1280);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.focus('#search');
    await page.keyboard.type('evil');
    await page.waitForSelector('body[data-searched="evil"]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(HOSTILE_TITLE);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.chart canvas');
    expect(await page.textContent('#game-title')).toBe(HOSTILE_TITLE);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await expect(page.locator('main img').count()).resolves.toBe(0);

    await page.goto(`${site.url}/#game=no_such_game`);
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('Could not load v1/games/no_such_game.json: HTTP 404. The data may be being updated; reload in a minute.');
    expect(problems).toEqual([]);
    await page.close();

    // The bucket is mid-change or gone: the first screen says so instead of staying blank.
    const broken = await browser.newPage();
    await broken.route('**/v1/deals/top.json', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: '{"updated_at": ' }));
    await broken.goto(`${site.url}/`);
    await broken.waitForSelector('#error:not([hidden])');
    expect(await broken.textContent('#error')).toBe('v1/deals/top.json is not valid JSON. The data may be being updated; reload in a minute.');
    await broken.close();
  });

  it('works the same from an S3 bucket (s3rver) as from the folder', async () => {
    const s3Config = { ...config, exportTarget: 's3://public/site', s3: { ...config.s3, endpoint: s3.endpoint, forcePathStyle: true } };
    await runExport({ database, target: openTarget(s3Config), clock: fixedClock(new Date(demoDayTime(3).getTime() + 3_600_000)), log: silentLogger, cacheMaxAge: 60 });
    const base = `${s3.endpoint}/public/site/index.html`;
    const { page, problems } = await open(base, 1280);
    await expect(page.locator('#deals tbody tr').count()).resolves.toBe(readJson('v1/deals/top.json').count);
    await page.goto(`${base}#game=${gameId('Clockwork Garden')}`);
    await page.waitForSelector('.chart canvas');
    expect(await page.locator('#offers tr.cheapest[data-region="us"]').getAttribute('data-store')).toBe('shop_two');
    await page.fill('#search', 'lantern');
    await page.waitForSelector('body[data-searched="lantern"]');
    expect(await page.locator('#results li').allTextContents()).toEqual(['Lantern Road']);
    await page.screenshot({ path: 'test-results/page-game-s3-1280.png', fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
