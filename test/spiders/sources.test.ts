// Each real source, crawled through Crawlee against a local server answering with recorded responses
// (test/fixtures/<source>/README.md names each file's origin).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import type { SpiderDefinition } from '../../src/spiders/define-spider.ts';
import cheapshark from '../../src/spiders/cheapshark.ts';
import epic from '../../src/spiders/epic.ts';
import gog from '../../src/spiders/gog.ts';
import playstation from '../../src/spiders/playstation.ts';
import steam, { parseSteamSearchResults } from '../../src/spiders/steam.ts';
import { fixture, html, json, startFixtureServer, type Answer } from '../helpers/fixture-server.ts';

type Line = { key: string; partition: string; data: Record<string, unknown>; source_fields: Record<string, unknown>; invalid?: string };

async function crawl(spider: SpiderDefinition, route: (url: URL) => Answer | undefined) {
  const server = await startFixtureServer(route);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `trawl-${spider.name}-`));
  const config = loadConfig({ TRAWL_DATA_DIR: dir }, dir);
  try {
    const result = await runCrawl({ spider, config, log: silentLogger, clock: fixedClock(new Date('2026-03-01T06:00:00Z')), baseUrl: server.url });
    const lines = fs.readFileSync(result.rawFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const records = new Map<string, Line>();
    for (const l of lines.filter((l) => !l.control)) records.set(l.key ?? `invalid:${records.size}`, l);
    return { result, records, requests: server.requests, end: lines.at(-1) };
  } finally {
    await server.close();
  }
}

const offer = (r: Line | undefined) => r && [r.data.status, r.data.amount, r.data.regular_amount, r.data.currency];

describe('steam', () => {
  it('parses the search results fragment, prices from data-price-final in KRW', () => {
    const rows = parseSteamSearchResults(fixture('steam-search-html/search_results_html_kr_KRW_specials.html').toString());
    expect(rows).toHaveLength(25);
    expect(rows[0]).toMatchObject({ appId: 1478500, title: expect.any(String) });
    expect(rows.every((r) => r.priceFinal === null || Number.isInteger(r.priceFinal))).toBe(true);
    expect(rows.some((r) => r.priceFinal === 16350)).toBe(true);
  });

  it('discovers apps from search, prices them per country through appdetails, free and unavailable included', async () => {
    const { result, records, requests } = await crawl(steam, (url) => {
      if (url.pathname === '/search/results/') return html(url.searchParams.get('start') === '0' ? fixture('steam-search-html/search_results_html_kr_KRW_specials.html') : '');
      if (url.pathname !== '/api/appdetails') return undefined;
      const cc = url.searchParams.get('cc');
      if (cc === 'tr') return json(fixture('steam-appdetails/appdetails_priceoverview_multi_cc-tr_USD.json'));
      if (cc === 'us') return json(fixture('steam-appdetails/appdetails_440_team-fortress-2_free.json'));
      // No recording exists of an app Steam does not sell: the documented shape.
      return json(`{"${url.searchParams.get('appids')!.split(',')[0]}":{"success":false}}`);
    });
    expect(result).toMatchObject({ complete: true, failedRequests: 0, invalid: 0 });
    expect(requests.filter((r) => r.startsWith('/api/appdetails')).every((r) => /filters=price_overview/.test(r))).toBe(true);
    expect(offer(records.get('steam:app:1245620:tr'))).toEqual(['available', 3999, null, 'USD']);
    expect(offer(records.get('steam:app:1091500:tr'))).toEqual(['available', 1349, 4499, 'USD']);
    expect(records.get('steam:app:1091500:tr')!.source_fields.final_formatted).toBe('$13.49 USD');
    expect(offer(records.get('steam:app:440:us'))).toEqual(['free', 0, null, 'USD']);
    expect(offer(records.get('steam:app:1478500:kr'))).toEqual(['unavailable', null, null, 'KRW']);
    expect(records.get('steam:app:413150:tr')!.partition).toBe('tr');
  });
});

describe('gog', () => {
  it('reads catalog prices from finalMoney and baseMoney and follows pagination', async () => {
    const { result, records, requests } = await crawl(gog, (url) =>
      url.pathname === '/v1/catalog' ? json(url.searchParams.get('page') === '1' ? fixture('gog-catalog/catalog_v1_trimmed_3-products_USD.json') : '{"pages":58,"products":[]}') : undefined,
    );
    expect(result.complete).toBe(true);
    expect(records.size).toBe(3);
    expect(offer(records.get('gog:1211776926:us'))).toEqual(['available', 149, 2959, 'USD']);
    expect(records.get('gog:1211776926:us')!.source_fields).toMatchObject({ final: '$1.49', base: '$29.59', discount: '-95%' });
    expect(requests.filter((r) => r.startsWith('/v1/catalog')).length).toBe(10);
  });
});

describe('cheapshark', () => {
  it('files deals under the stores they are at, keeping the Steam app id; free deals are free', async () => {
    const { result, records } = await crawl(cheapshark, (url) => (url.pathname === '/api/1.0/deals' ? json(fixture('cheapshark/deals_list.json')) : undefined));
    expect(result).toMatchObject({ complete: true, invalid: 0 });
    expect(records.size).toBe(20);
    const epicFree = records.get('cheapshark:epic:cs-252093')!;
    expect(epicFree.data).toMatchObject({ store: 'epic', status: 'free', amount: 0, steam_app_id: 1920480, title: 'River City Girls 2' });
    // Every deal keeps CheapShark's Steam app id (or null), which is what links it to the Steam game.
    const deals = JSON.parse(fixture('cheapshark/deals_list.json').toString()) as { gameID: string; steamAppID: string | null }[];
    for (const d of deals) {
      const r = [...records.values()].find((x) => String(x.data.store_item_id) === `cs-${d.gameID}`)!;
      expect(r.data.steam_app_id).toBe(d.steamAppID ? Number(d.steamAppID) : null);
    }
    expect([...records.values()].some((r) => r.data.steam_app_id === null)).toBe(true);
    expect(new Set([...records.values()].map((r) => r.data.store))).toContain('cheapshark_2');
  });
});

describe('epic', () => {
  it('reads the promotions, a free game included, and a vaulted mystery game as unavailable', async () => {
    const { result, records } = await crawl(epic, (url) => (url.pathname === '/freeGamesPromotions' ? json(fixture('epic-freegamespromotions/free_games_one.json')) : undefined));
    expect(result).toMatchObject({ complete: true, invalid: 0 });
    const byTitle = new Map([...records.values()].map((r) => [r.data.title, r]));
    expect(offer(byTitle.get('Rise of Industry'))).toEqual(['free', 0, null, 'EUR']);
    expect([...records.values()].some((r) => r.data.status === 'unavailable')).toBe(true);
  });

  it('an answer carrying errors and no data fails its request: the crawl is not complete', async () => {
    const { result, records } = await crawl(epic, (url) => (url.pathname === '/freeGamesPromotions' ? json(fixture('epic-freegamespromotions/error_5222_wrong_country.json')) : undefined));
    expect(result).toMatchObject({ complete: false, failedRequests: 1 });
    expect(records.size).toBe(0);
  });
});

describe('playstation', () => {
  it('reads __NEXT_DATA__ without a browser, and a category grid by capturing the page\'s GraphQL answer in Chromium', async () => {
    const grid = fixture('playstation-store/graphql_categoryGridRetrieve_products_fi-FI.json');
    const { result, records } = await crawl(playstation, (url) => {
      if (url.pathname === '/ko-kr/pages/deals') {
        return html(`<!doctype html><html><body><div id="app"></div><script id="__NEXT_DATA__" type="application/json">${fixture('playstation-store/next_data_deals-page_ko-KR_KRW.json').toString()}</script></body></html>`);
      }
      if (url.pathname.startsWith('/fi-fi/category/')) {
        // Like the store's page: the grid is fetched by script after load.
        return html(`<!doctype html><html><body><ul id="grid"></ul><script>
          fetch('/api/graphql/v1/op?operationName=categoryGridRetrieve&variables=%7B%7D').then(r => r.json()).then(d => {
            for (const p of d.data.categoryGridRetrieve.products) { const li = document.createElement('li'); li.textContent = p.name; document.getElementById('grid').append(li); }
          });</script></body></html>`);
      }
      if (url.pathname === '/api/graphql/v1/op') return json(grid);
      return undefined;
    });
    expect(result).toMatchObject({ complete: true, failedRequests: 0, invalid: 0 });
    const kr = [...records.values()].filter((r) => r.data.region === 'kr');
    const fi = [...records.values()].filter((r) => r.data.region === 'fi');
    expect(kr.length).toBe(12);
    expect(offer(records.get('playstation:HP9000-PPSA08340_00-MARVELSPIDERMAN2:kr'))).toEqual(['available', 33516, 79800, 'KRW']);
    expect(fi.length).toBe(6);
    expect(offer(records.get('playstation:UB1029-PPSA34991_00-0305564308280273:fi'))).toEqual(['available', 597, 995, 'EUR']);
    expect(fi.filter((r) => r.data.status === 'unavailable').map((r) => r.source_fields.discountedPrice)).toEqual(['Ei saatavilla']);
  });
});
