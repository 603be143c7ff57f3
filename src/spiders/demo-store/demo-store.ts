// The bundled demo source: crawls the demo store that trawl serves on loopback (its website beside it, in this folder).
import { load } from 'cheerio';
import { startDemoServer } from './demo-server.ts';
import { DEMO_REGIONS } from './demo-catalogue.ts';
import { PriceParseError } from '../../lib/money.ts';
import { defineSpider, type EmitInput } from '../define-spider.ts';
import { offerSchema, readOfferPrice } from '../lib/offer.ts';

export interface DemoListPage {
  productUrls: string[];
  nextUrl: string | undefined;
}

export function parseDemoListPage(html: string, pageUrl: string): DemoListPage {
  const $ = load(html);
  return {
    productUrls: $('ul.products a.product')
      .map((_, a) => new URL($(a).attr('href') ?? '', pageUrl).href)
      .get(),
    nextUrl: $('a[rel=next]').attr('href') ? new URL($('a[rel=next]').attr('href')!, pageUrl).href : undefined,
  };
}

export interface DemoProductPage {
  itemId: string;
  title: string;
  /** Prices are rendered by JavaScript and not in this HTML. */
  needsBrowser: boolean;
  offers: { region: string; price: string; regular: string | null }[];
  reviews: number | null;
}

export function parseDemoProductPage(html: string, pageUrl: string): DemoProductPage {
  const $ = load(html);
  const offers = $('#offers .offer')
    .map((_, el) => ({
      region: $(el).attr('data-region') ?? '',
      price: $(el).find('.price').text(),
      regular: $(el).find('.regular').text() || null,
    }))
    .get();
  const reviews = /(\d+)\s+reviews/.exec($('.reviews').text())?.[1];
  return {
    itemId: new URL(pageUrl).pathname.split('/').pop() ?? '',
    title: $('h1.title').text().trim(),
    needsBrowser: $('#offers[data-render=js]').length > 0 && offers.length === 0,
    offers,
    reviews: reviews === undefined ? null : Number(reviews),
  };
}

/** One record per region; a price the parser cannot read becomes an invalid record quoting it. */
export function demoOffers(page: DemoProductPage, url: string): EmitInput[] {
  return page.offers.map((o) => {
    const currency = DEMO_REGIONS[o.region as keyof typeof DEMO_REGIONS] ?? '';
    const base = { store: 'demo_store', store_item_id: page.itemId, title: page.title, url, region: o.region, currency, review_count: page.reviews };
    const sourceFields = { price: o.price, regular: o.regular };
    try {
      return { data: { ...base, ...readOfferPrice(o.price, o.regular, currency) }, sourceFields };
    } catch (err) {
      if (!(err instanceof PriceParseError)) throw err;
      return { data: base, sourceFields, error: err.message };
    }
  });
}

export default defineSpider({
  name: 'demo_store',
  description: 'The bundled demo shop on loopback: list pages, product pages in USD and EUR, one JavaScript-rendered page.',
  kind: 'cheerio',
  baseUrl: 'http://127.0.0.1:8931',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `demo_store:${o.store_item_id}:${o.region}`,
  volatile: ['review_count'],
  politeness: { maxConcurrency: 4, maxRequestsPerMinute: 3000 },
  start: ({ baseUrl }) => [{ url: `${baseUrl}/products?page=1`, label: 'LIST' }],
  routes: {
    LIST: {
      async handle({ body, request, enqueue }) {
        const page = parseDemoListPage(body, request.url);
        await enqueue(page.productUrls.map((url) => ({ url, label: 'PRODUCT' })));
        if (page.nextUrl) await enqueue({ url: page.nextUrl, label: 'LIST' });
      },
    },
    PRODUCT: {
      async handle({ body, request, enqueue, emit }) {
        const page = parseDemoProductPage(body, request.url);
        if (page.needsBrowser) return enqueue({ url: request.url, label: 'PRODUCT_JS', uniqueKey: `${request.url}#browser` });
        for (const record of demoOffers(page, request.url)) emit(record);
      },
    },
    PRODUCT_JS: {
      kind: 'playwright',
      async handle({ page, body, request, emit }) {
        // Without a page (`trawl reparse`), the body is the page as it was rendered.
        if (page) await page.waitForSelector('#offers .offer', { timeout: 15_000 });
        const parsed = parseDemoProductPage(page ? await page.content() : body, request.url);
        for (const record of demoOffers(parsed, request.url)) emit(record);
      },
    },
  },
  serve: ({ day, port }) => startDemoServer({ day, port }),
});
