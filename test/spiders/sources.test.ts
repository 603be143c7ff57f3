// Each real source, crawled through Crawlee against a local server answering with recorded whole
// responses, with their real Content-Type (test/fixtures/<source>/README.md names each file's origin).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import type { SpiderDefinition } from '../../src/spiders/define-spider.ts';
import cheapshark, { CheapsharkShapeError, parseCheapsharkDeals } from '../../src/spiders/cheapshark.ts';
import epic from '../../src/spiders/epic.ts';
import gog from '../../src/spiders/gog.ts';
import playstation, { psOffer } from '../../src/spiders/playstation.ts';
import steam from '../../src/spiders/steam.ts';
import { fixture, html, json, startFixtureServer, type Answer } from '../helpers/fixture-server.ts';

type Line = { key: string; url: string; partition: string; data: Record<string, unknown>; source_fields: Record<string, unknown>; invalid?: string };

async function crawl(spider: SpiderDefinition, route: (url: URL) => Answer | undefined, opts: { scope?: (base: string) => Record<string, unknown>; maxPages?: number } = {}) {
  const server = await startFixtureServer(route);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `trawl-${spider.name}-`));
  const config = loadConfig({ TRAWL_DATA_DIR: dir }, dir);
  try {
    const scope = opts.scope ? spider.scope!.parse(opts.scope(server.url)) : undefined;
    const result = await runCrawl({ spider, config, log: silentLogger, clock: fixedClock(new Date('2026-03-01T06:00:00Z')), baseUrl: server.url, scope, maxPages: opts.maxPages });
    const lines = fs.readFileSync(result.rawFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const records = new Map<string, Line>();
    for (const l of lines.filter((l) => !l.control)) records.set(l.key ?? `invalid:${records.size}`, l);
    const enqueued = lines.filter((l) => l.control === 'page').flatMap((l) => (l.enqueued as { url: string }[]).map((r) => r.url.replace(server.url, '')));
    return { result, records, requests: server.requests, enqueued, end: lines.at(-1) };
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const offer = (r: Line | undefined) => r && [r.data.status, r.data.amount, r.data.regular_amount, r.data.currency];
const ids = (u: URL) => (u.searchParams.get('appids') ?? '').split(',').sort().join(',');

describe('steam', () => {
  it('prices a watchlist per country through appdetails, in the storefront currency and its minor units', async () => {
    const tr = await crawl(steam, (url) => (url.pathname === '/api/appdetails' && ids(url) === '1091500,1245620,413150' && url.searchParams.get('cc') === 'tr' ? json(fixture('steam-appdetails/appdetails_priceoverview_multi_cc-tr_USD.json')) : undefined), {
      scope: () => ({ countries: ['tr'], featured: [], app_ids: [1245620, 1091500, 413150] }),
    });
    expect(tr.result).toMatchObject({ complete: true, failedRequests: 0, invalid: 0 });
    expect(tr.requests.filter((r) => r.startsWith('/api/appdetails')).every((r) => /filters=price_overview/.test(r))).toBe(true);
    expect(offer(tr.records.get('steam:app:1245620:tr'))).toEqual(['available', 3999, null, 'USD']);
    expect(offer(tr.records.get('steam:app:1091500:tr'))).toEqual(['available', 1349, 4499, 'USD']);
    expect(tr.records.get('steam:app:1091500:tr')!.source_fields.final_formatted).toBe('$13.49 USD');
    // Steam never delists: its end line names no partition to delist in.
    expect(tr.end.partitions).toEqual({});

    const ua = await crawl(steam, (url) => (url.pathname === '/api/appdetails' && ids(url) === '1245620,413150' ? json(fixture('steam-appdetails/appdetails_priceoverview_multi_cc-ua_UAH.json')) : undefined), {
      scope: () => ({ countries: ['ua'], featured: [], app_ids: [1245620, 413150] }),
    });
    // "1 799₴" is 1799.00 UAH: 179900 minor units, as price_overview says.
    expect(offer(ua.records.get('steam:app:1245620:ua'))).toEqual(['available', 179900, null, 'UAH']);
    expect(offer(ua.records.get('steam:app:413150:ua'))).toEqual(['available', 13700, 22900, 'UAH']);
  });

  it('asks once more, unfiltered, for an app with no price: a free-to-play game is free, not "not for sale"', async () => {
    const { result, records, requests } = await crawl(
      steam,
      (url) => {
        if (url.pathname !== '/api/appdetails') return undefined;
        // Filtered, Steam answers a free game with data: [] (no recording exists of it; its documented shape).
        if (url.searchParams.get('filters') === 'price_overview') return json('{"440":{"success":true,"data":[]}}');
        return json(fixture('steam-appdetails/appdetails_440_team-fortress-2_free.json'));
      },
      { scope: () => ({ countries: ['us'], featured: [], app_ids: [440] }) },
    );
    expect(result).toMatchObject({ complete: true, failedRequests: 0, invalid: 0 });
    expect(requests.filter((r) => r.startsWith('/api/appdetails?appids=440&cc=us') && !r.includes('filters'))).toHaveLength(1);
    expect(offer(records.get('steam:app:440:us'))).toEqual(['free', 0, null, 'USD']);
    expect(records.get('steam:app:440:us')!.data.title).toBe('Team Fortress 2');
  });

  it("discovers the featured specials of a storefront and prices them; Steam's success:false is unavailable", async () => {
    const { result, records, requests } = await crawl(
      steam,
      (url) => {
        if (url.pathname === '/api/featuredcategories') return json(fixture('steam-featuredcategories/featuredcategories_us.json'));
        // Apps Steam does not sell answer {"<id>":{"success":false}} (the documented shape: no recording exists).
        if (url.pathname === '/api/appdetails') return json(`{${ids(url).split(',').map((id) => `"${id}":{"success":false}`).join(',')}}`);
        return undefined;
      },
      { scope: () => ({ countries: ['us'], featured: ['specials'], app_ids: [] }) },
    );
    expect(result).toMatchObject({ complete: true, failedRequests: 0 });
    expect(requests.filter((r) => r.startsWith('/api/featuredcategories'))).toEqual(['/api/featuredcategories?cc=us&l=english']);
    const priced = requests.filter((r) => r.startsWith('/api/appdetails')).flatMap((r) => ids(new URL(r, 'http://x')).split(','));
    expect(priced.sort()).toEqual(['1086940', '1091500', '1174180', '1374490', '1623730', '1671210', '2138330', '2209900', '3017860', '3240220']);
    expect(offer(records.get('steam:app:1091500:us'))).toEqual(['unavailable', null, null, 'USD']);
    expect(records.get('steam:app:1091500:us')!.data.title).toBe('Cyberpunk 2077');
  });

  it('a featured answer whose lists are empty fails its request by the yield guard: the crawl is incomplete', async () => {
    const { result, records } = await crawl(steam, (url) => (url.pathname === '/api/featuredcategories' ? json('{"specials":{"items":[]},"status":1}') : undefined), {
      scope: () => ({ countries: ['us'], featured: ['specials'], app_ids: [] }),
    });
    expect(result).toMatchObject({ complete: false, failedRequests: 1, yieldGuardFailures: 1 });
    expect(result.incompleteReasons.join('; ')).toMatch(/yielded nothing/);
    expect(records.size).toBe(0);
  });
});

describe('gog', () => {
  it('reads catalog prices from finalMoney and baseMoney and paginates to the page count the answer names', async () => {
    const { result, records, enqueued } = await crawl(
      gog,
      (url) => (url.pathname === '/v1/catalog' && url.searchParams.get('page') === '1' ? json(fixture('gog-catalog/catalog_v1_trimmed_3-products_USD.json')) : undefined),
      // One page: no recording of page 2 exists.
      { maxPages: 1 },
    );
    expect(records.size).toBe(3);
    expect(offer(records.get('gog:1211776926:us'))).toEqual(['available', 149, 2959, 'USD']);
    expect(records.get('gog:1211776926:us')!.source_fields).toMatchObject({ final: '$1.49', base: '$29.59', discount: '-95%' });
    // The answer says pages: 58, so page 2 is next.
    expect(enqueued).toEqual(['/v1/catalog?limit=48&page=2&order=desc%3Adiscount&countryCode=US&currencyCode=USD']);
    expect(result).toMatchObject({ complete: false, budgetCut: true });
  });

  it('a catalog page that answers 200 with no products where pages say more fails by the yield guard', async () => {
    const { result, requests } = await crawl(gog, (url) => (url.pathname === '/v1/catalog' ? json('{"pages":58,"productCount":2763,"products":[]}') : undefined));
    expect(result).toMatchObject({ complete: false, yieldGuardFailures: 1, records: 0 });
    // Not retried, and nothing after it is followed.
    expect(requests.filter((r) => r.startsWith('/v1/catalog'))).toHaveLength(1);
  });
});

describe('cheapshark', () => {
  it('files deals under the stores they are at, keeping the Steam app id; free deals are free', async () => {
    const { result, records, requests } = await crawl(cheapshark, (url) => (url.pathname === '/api/1.0/deals' ? json(fixture('cheapshark/deals_list.json')) : undefined));
    expect(result).toMatchObject({ complete: true, invalid: 0 });
    // 20 deals on a page of 60: the last page.
    expect(requests.filter((r) => r.startsWith('/api/1.0/deals'))).toHaveLength(1);
    expect(records.size).toBe(20);
    const epicFree = records.get('cheapshark:epic:cs-252093')!;
    expect(epicFree.data).toMatchObject({ store: 'epic', status: 'free', amount: 0, steam_app_id: 1920480, title: 'River City Girls 2' });
    const deals = JSON.parse(fixture('cheapshark/deals_list.json').toString()) as { gameID: string; steamAppID: string | null }[];
    for (const d of deals) {
      const r = [...records.values()].find((x) => String(x.data.store_item_id) === `cs-${d.gameID}`)!;
      expect(r.data.steam_app_id).toBe(d.steamAppID ? Number(d.steamAppID) : null);
    }
    expect(new Set([...records.values()].map((r) => r.data.store))).toContain('cheapshark_2');
  });

  it('stops paginating where X-Total-Page-Count says, not where a page is full', async () => {
    const { result, requests } = await crawl(
      cheapshark,
      (url) => (url.pathname === '/api/1.0/deals' ? { ...json(fixture('cheapshark/deals_list.json')), headers: { 'X-Total-Page-Count': '1' } } : undefined),
      { scope: () => ({ page_size: 20 }) },
    );
    expect(result.complete).toBe(true);
    expect(requests.filter((r) => r.startsWith('/api/1.0/deals'))).toEqual(['/api/1.0/deals?pageNumber=0&pageSize=20&sortBy=Savings']);
  });

  it('an empty first page of deals fails by the yield guard; an empty later page ends the list', async () => {
    const empty = await crawl(cheapshark, (url) => (url.pathname === '/api/1.0/deals' ? json('[]') : undefined));
    expect(empty.result).toMatchObject({ complete: false, yieldGuardFailures: 1 });
    // 20 deals on pages of 20, then an empty page: the end, complete.
    const ended = await crawl(cheapshark, (url) => (url.pathname === '/api/1.0/deals' ? json(url.searchParams.get('pageNumber') === '0' ? fixture('cheapshark/deals_list.json') : '[]') : undefined), {
      scope: () => ({ page_size: 20 }),
    });
    expect(ended.result).toMatchObject({ complete: true, records: 20 });
    expect(ended.requests.filter((r) => r.startsWith('/api/1.0/deals'))).toHaveLength(2);
  });

  it('an answer of another shape (a /games lookup) is a named error, not a TypeError, and fails its request', async () => {
    expect(() => parseCheapsharkDeals(fixture('cheapshark/games_lookup_title_elden-ring.json').toString())).toThrow(CheapsharkShapeError);
    expect(() => parseCheapsharkDeals(fixture('cheapshark/games_lookup_title_elden-ring.json').toString())).toThrow(/element 0 is not a deal \(no string dealID, storeID, salePrice, normalPrice, title\)/);
    const { result, records } = await crawl(cheapshark, (url) => (url.pathname === '/api/1.0/deals' ? json(fixture('cheapshark/games_lookup_title_elden-ring.json')) : undefined));
    expect(result).toMatchObject({ complete: false, failedRequests: 1 });
    expect(records.size).toBe(0);
  });
});

describe('epic', () => {
  const fr = () => ({ countries: [{ country: 'FR', locale: 'fr', currency: 'EUR' }] });
  it('reads the promotions, a free game included, and a vaulted mystery game as unavailable', async () => {
    const { result, records } = await crawl(epic, (url) => (url.pathname === '/freeGamesPromotions' ? json(fixture('epic-freegamespromotions/free_games_one.json')) : undefined), { scope: fr });
    expect(result).toMatchObject({ complete: true, invalid: 0 });
    const byTitle = new Map([...records.values()].map((r) => [r.data.title, r]));
    expect(offer(byTitle.get('Rise of Industry'))).toEqual(['free', 0, null, 'EUR']);
    expect([...records.values()].some((r) => r.data.status === 'unavailable')).toBe(true);
  });

  it('keeps the elements of an answer with partial GraphQL errors, and links each to its page slug, never a catalog id', async () => {
    const { result, records } = await crawl(epic, (url) => (url.pathname === '/freeGamesPromotions' ? json(fixture('epic-freegamespromotions/free_games_us_USD_partial-errors.json')) : undefined), {
      scope: () => ({ countries: [{ country: 'US', locale: 'en-US', currency: 'USD' }] }),
    });
    expect(result).toMatchObject({ complete: true, invalid: 0, records: 13 });
    const byTitle = new Map([...records.values()].map((r) => [r.data.title, r]));
    // productSlug null, urlSlug a 32-hex id: the page slug comes from catalogNs.mappings.
    expect(byTitle.get('Model Builder: Complete Edition')!.data.url).toBe('https://store.epicgames.com/p/model-builder-complete-edition-f9b456');
    expect(byTitle.get("Them's Fightin' Herds")!.data.url).toBe('https://store.epicgames.com/p/thems-fightin-herds');
    for (const r of records.values()) expect(String(r.data.url)).not.toMatch(/\/p\/[0-9a-f]{32}$/);
    expect(offer(byTitle.get('River City Girls 2'))).toEqual(['free', 0, null, 'USD']);
    expect(offer(byTitle.get('Ghostrunner 2'))).toEqual(['available', 3999, null, 'USD']);
  });

  it("links an add-on to its own offer page, and gives a mystery game's fake slug \"[]\" no url at all", async () => {
    const { result, records } = await crawl(epic, (url) => (url.pathname === '/freeGamesPromotions' ? json(fixture('epic-freegamespromotions/free_games_mystery_special.json')) : undefined), { scope: fr });
    expect(result).toMatchObject({ complete: true, invalid: 0, records: 4 });
    const byTitle = new Map([...records.values()].map((r) => [r.data.title, r]));
    // An add-on: its offer page, not the base game's product page.
    expect(byTitle.get('Lost Castle: The Old Ones Awaken')!.data).toMatchObject({ url: 'https://store.epicgames.com/p/lost-castle-lost-castle-the-old-ones-awaken-db1545', status: 'available', amount: 359, currency: 'EUR' });
    expect(byTitle.get('LISA: Definitive Edition')!.data).toMatchObject({ url: 'https://store.epicgames.com/p/lisa-the-definitive-edition', amount: 2419 });
    // Vaulted games (code redemption only) are not purchasable; productSlug "[]" is no page.
    expect(offer(byTitle.get('Farming Simulator 22'))).toEqual(['unavailable', null, null, 'EUR']);
    expect(byTitle.get('Mystery Game 3')!.data).toMatchObject({ status: 'unavailable', url: null });
  });

  it('an answer carrying errors and no data fails its request: the crawl is not complete', async () => {
    const { result, records } = await crawl(epic, (url) => (url.pathname === '/freeGamesPromotions' ? json(fixture('epic-freegamespromotions/error_5222_wrong_country.json')) : undefined), { scope: fr });
    expect(result).toMatchObject({ complete: false, failedRequests: 1 });
    expect(records.size).toBe(0);
  });
});

describe('playstation', () => {
  const CATEGORY = '3f772501-f6f8-49b7-abac-874a88ca4897';
  // Like the store's page: the grid is fetched by script after load.
  const gridPage = () =>
    html(`<!doctype html><html><body><ul id="grid"></ul><script>
      fetch('/api/graphql/v1/op?operationName=categoryGridRetrieve&variables=%7B%7D').then(r => r.json()).then(d => {
        for (const p of d.data.categoryGridRetrieve.products) { const li = document.createElement('li'); li.textContent = p.name; document.getElementById('grid').append(li); }
      });</script></body></html>`);

  it('reads __NEXT_DATA__ without a browser', async () => {
    const { result, records } = await crawl(
      playstation,
      (url) =>
        url.pathname === '/ko-kr/pages/deals'
          ? html(`<!doctype html><html><body><div id="app"></div><script id="__NEXT_DATA__" type="application/json">${fixture('playstation-store/next_data_deals-page_ko-KR_KRW.json').toString()}</script></body></html>`)
          : undefined,
      { scope: () => ({ locales: ['ko-kr'], categories: [], deals_page: true }) },
    );
    expect(result).toMatchObject({ complete: true, failedRequests: 0, invalid: 0, records: 12 });
    expect(offer(records.get('playstation:HP9000-PPSA08340_00-MARVELSPIDERMAN2:kr'))).toEqual(['available', 33516, 79800, 'KRW']);
  });

  it("reads a category grid by capturing the page's GraphQL answer in Chromium", async () => {
    const { result, records } = await crawl(
      playstation,
      (url) => {
        if (url.pathname === `/fi-fi/category/${CATEGORY}/1`) return gridPage();
        if (url.pathname === '/api/graphql/v1/op') return json(fixture('playstation-store/graphql_categoryGridRetrieve_products_fi-FI.json'));
        return undefined;
      },
      { scope: () => ({ locales: ['fi-fi'], categories: [CATEGORY], deals_page: false }) },
    );
    expect(result).toMatchObject({ complete: true, failedRequests: 0, invalid: 0, records: 6 });
    expect(offer(records.get('playstation:UB1029-PPSA34991_00-0305564308280273:fi'))).toEqual(['available', 597, 995, 'EUR']);
    expect([...records.values()].filter((r) => r.data.status === 'unavailable').map((r) => r.source_fields.discountedPrice)).toEqual(['Ei saatavilla']);
  });

  it('a grid that lists concepts beside an empty products list yields them, and follows pageInfo to the next page', async () => {
    const { result, records, enqueued } = await crawl(
      playstation,
      (url) => {
        if (url.pathname === `/ko-kr/category/${CATEGORY}/1`) return gridPage();
        if (url.pathname === '/api/graphql/v1/op') return json(fixture('playstation-store/graphql_categoryGridRetrieve_concepts_ko-KR.json'));
        return undefined;
      },
      // One page: no recording of page 2 exists.
      { scope: () => ({ locales: ['ko-kr'], categories: [CATEGORY], deals_page: false }), maxPages: 1 },
    );
    expect(result.records).toBe(30);
    // These concepts show no price yet (price: null): not purchasable, not a guess.
    expect(offer(records.get('playstation:concept-10003923:kr'))).toEqual(['unavailable', null, null, 'KRW']);
    expect(records.get('playstation:concept-10003923:kr')!.data.title).toBe('Ghost of Yōtei');
    // pageInfo: offset 0, size 30, totalCount 134, isLast false -> page 2.
    expect(enqueued).toEqual([`/ko-kr/category/${CATEGORY}/2`]);
    expect(result).toMatchObject({ complete: false, budgetCut: true });
  });

  it("prices products from productRetrieve's buttons: purchase price, pre-order, never a PS Plus price", async () => {
    const answers: Record<string, string> = {
      'UP4363-PPSA17232_00-SNIPERELITERES00': 'graphql_productRetrieve_price_included-plus_and_cart.json',
      'EP2640-PPSA29380_00-0000000000000000': 'graphql_productRetrieve_price_preorder_plus-discount-upsell.json',
      'UP9000-PPSA30630_00-MLBTHESHOW26PLUS': 'graphql_productRetrieve_price_plus-only_no-purchase.json',
      'UP0102-PPSA38464_00-CLASSICMXCM00001': 'graphql_productRetrieve_price_classic-catalog_full-price.json',
      'HP0700-PPSA10593_00-TK8S2DLXED000000': 'graphql_productRetrieve_price_discount-plus-upsell_released.json',
    };
    const { result, records } = await crawl(
      playstation,
      (url) => {
        if (url.pathname !== '/api/graphql/v1/op') return undefined;
        const id = (JSON.parse(url.searchParams.get('variables') ?? '{}') as { productId?: string }).productId ?? '';
        return answers[id] ? json(fixture(`playstation-store/${answers[id]}`)) : undefined;
      },
      { scope: (base) => ({ locales: ['fi-fi'], categories: [], deals_page: false, products: Object.keys(answers).slice(0, 4), product_query_hash: 'a'.repeat(64), graphql_url: `${base}/api/graphql/v1/op` }) },
    );
    expect(result).toMatchObject({ complete: true, invalid: 0, records: 4 });
    // "Included" with PS Plus beside a cart price: the cart price, not free.
    expect(offer(records.get('playstation:UP4363-PPSA17232_00-SNIPERELITERES00:fi'))).toEqual(['available', 5995, null, 'EUR']);
    // A PREORDER button: pre-order at the public price; the PS Plus -10 % is not it.
    expect(offer(records.get('playstation:EP2640-PPSA29380_00-0000000000000000:fi'))).toEqual(['preorder', 4995, null, 'EUR']);
    // Only a subscription button: subscription, no price.
    expect(offer(records.get('playstation:UP9000-PPSA30630_00-MLBTHESHOW26PLUS:fi'))).toEqual(['subscription', null, null, 'EUR']);
    expect(offer(records.get('playstation:UP0102-PPSA38464_00-CLASSICMXCM00001:fi'))).toEqual(['available', 995, null, 'EUR']);
  });

  it('a grid price "Included" with PS Plus is a subscription, not free; store locales such as en-fi are known', () => {
    const included = JSON.parse(fixture('playstation-store/graphql_productRetrieve_price_included-plus_and_cart.json').toString()).data.productRetrieve.webctas[0].price;
    const r = psOffer({ id: 'UP4363-PPSA17232_00-SNIPERELITERES00', name: 'Sniper Elite: Resistance', price: { ...included, discountText: included.displayDiscountText } }, 'en-fi');
    expect(r.data).toMatchObject({ status: 'subscription', amount: null, region: 'fi', currency: 'EUR' });
    expect(() => psOffer({ id: 'x', name: 'y', price: null }, 'xx-zz')).toThrow(/unknown PlayStation locale xx-zz/);
  });
});
