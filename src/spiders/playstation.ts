// PlayStation Store: category grids through a real browser (the page loads its products from GraphQL
// calls, which the spider captures), and the cheaper path where a page embeds its data (__NEXT_DATA__).
import { load } from 'cheerio';
import { parsePrice, PriceParseError } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';

/** Storefront locale -> region and currency. */
export const PS_LOCALES: Record<string, { region: string; currency: string }> = {
  'ko-kr': { region: 'kr', currency: 'KRW' },
  'fi-fi': { region: 'fi', currency: 'EUR' },
  'en-us': { region: 'us', currency: 'USD' },
};

interface PsProduct {
  id: string;
  name: string;
  price?: {
    basePrice?: string | null;
    discountedPrice?: string | null;
    discountText?: string | null;
    isFree?: boolean | null;
    isExclusive?: boolean | null;
    isTiedToSubscription?: boolean | null;
  } | null;
}

/** One product's offer. "Ei saatavilla" is not purchasable; a subscription-only title has no price. */
export function psOffer(p: PsProduct, locale: string): EmitInput {
  const market = PS_LOCALES[locale];
  if (!market) throw new Error(`unknown PlayStation locale ${locale}`);
  const base = { store: 'playstation', store_item_id: p.id, title: p.name, url: `https://store.playstation.com/${locale}/product/${p.id}`, region: market.region, currency: market.currency };
  const price = p.price ?? {};
  const sourceFields = { basePrice: price.basePrice ?? null, discountedPrice: price.discountedPrice ?? null, discountText: price.discountText ?? null };
  if (price.isFree) return { data: { ...base, status: 'free', amount: 0, regular_amount: null }, sourceFields };
  if (price.isExclusive && price.isTiedToSubscription) return { data: { ...base, status: 'subscription', amount: null, regular_amount: null }, sourceFields };
  if (!price.discountedPrice) return { data: { ...base, status: 'unavailable', amount: null, regular_amount: null }, sourceFields };
  try {
    const now = parsePrice(price.discountedPrice, market.currency);
    const was = price.basePrice && price.basePrice !== price.discountedPrice ? parsePrice(price.basePrice, market.currency) : undefined;
    return {
      data: { ...base, status: now.status, amount: now.amount, regular_amount: was && was.amount !== null && was.amount !== now.amount ? was.amount : null },
      sourceFields,
    };
  } catch (err) {
    if (!(err instanceof PriceParseError)) throw err;
    return { data: base, sourceFields, error: err.message };
  }
}

/** The offers of a categoryGridRetrieve answer (one page of a category). */
export function parsePsCategoryGrid(json: string, locale: string): EmitInput[] {
  const body = JSON.parse(json) as { data?: { categoryGridRetrieve?: { products?: PsProduct[] } } };
  const grid = body.data?.categoryGridRetrieve;
  if (!grid || !Array.isArray(grid.products)) throw new Error('categoryGridRetrieve: no products');
  return grid.products.map((p) => psOffer(p, locale));
}

/** Products embedded in a page's __NEXT_DATA__ (the Apollo cache keyed Product:<id>:<locale>). */
export function parsePsNextData(html: string, locale: string): EmitInput[] {
  const $ = load(html);
  const text = $('script#__NEXT_DATA__').text();
  if (!text) throw new Error('page has no __NEXT_DATA__');
  const data = JSON.parse(text) as { props?: { apolloState?: Record<string, PsProduct & { __typename?: string }> } };
  return Object.entries(data.props?.apolloState ?? {})
    .filter(([k, v]) => k.startsWith('Product:') && v.__typename === 'Product' && v.price)
    .map(([, v]) => psOffer(v, locale));
}

export const isGridResponse = (url: string) => url.includes('/api/graphql/v1/op') && url.includes('categoryGridRetrieve');

export default defineSpider({
  name: 'playstation',
  description: 'PlayStation Store: category grids in a browser (captured GraphQL answers) and pages that embed __NEXT_DATA__.',
  kind: 'cheerio',
  baseUrl: 'https://store.playstation.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `playstation:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 2, maxRequestsPerMinute: 20 },
  start: ({ baseUrl }) => [
    { url: `${baseUrl}/ko-kr/pages/deals`, label: 'NEXT_DATA', userData: { locale: 'ko-kr' } },
    { url: `${baseUrl}/fi-fi/category/3f772501-f6f8-49b7-abac-874a88ca4897/1`, label: 'GRID', userData: { locale: 'fi-fi' } },
  ],
  routes: {
    NEXT_DATA: {
      handle({ body, request, emit }) {
        for (const r of parsePsNextData(body, String(request.userData.locale))) emit(r);
      },
    },
    GRID: {
      kind: 'playwright',
      capture: isGridResponse,
      async handle({ page, request, captured, emit }) {
        // The grid arrives from a GraphQL call the page makes; its body may still be on its way.
        for (let waited = 0; page && captured.length === 0 && waited < 20_000; waited += 100) await page.waitForTimeout(100);
        if (captured.length === 0) throw new Error(`no categoryGridRetrieve answer on ${request.url}`);
        for (const answer of captured) for (const r of parsePsCategoryGrid(answer.body, String(request.userData.locale))) emit(r);
      },
    },
  },
});
