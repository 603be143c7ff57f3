// PlayStation Store: category grids through a real browser (the page loads each grid page from a
// GraphQL call, which the spider captures), pages that embed their data (__NEXT_DATA__, no browser),
// and single products from the GraphQL productRetrieve answer, whose buttons (webctas) tell a
// purchase price from a PS Plus one and a pre-order from a release.
import { load } from 'cheerio';
import { z } from 'zod';
import { PriceParseError } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema, readOfferPrice } from './lib/offer.ts';
import { splitScope } from './lib/split-scope.ts';

/** The currency each storefront country prices in; a locale is <language>-<country> ("en-fi"). */
export const PS_CURRENCY: Record<string, string> = {
  us: 'USD', ca: 'CAD', gb: 'GBP', kr: 'KRW', jp: 'JPY', au: 'AUD', nz: 'NZD', br: 'BRL', mx: 'MXN', pl: 'PLN', tr: 'TRY',
  fi: 'EUR', de: 'EUR', fr: 'EUR', es: 'EUR', it: 'EUR', nl: 'EUR', at: 'EUR', be: 'EUR', ie: 'EUR', pt: 'EUR',
  se: 'SEK', no: 'NOK', dk: 'DKK', ch: 'CHF', in: 'INR', hk: 'HKD', sg: 'SGD', za: 'ZAR',
};

/** Region and currency of a store locale, or an error naming it. */
export function psMarket(locale: string): { region: string; currency: string } {
  const m = /^[a-z]{2}-([a-z]{2})$/.exec(locale);
  const currency = m ? PS_CURRENCY[m[1]!] : undefined;
  if (!m || !currency) throw new Error(`unknown PlayStation locale ${locale}`);
  return { region: m[1]!, currency };
}

const locale = z.string().refine((l) => /^[a-z]{2}-[a-z]{2}$/.test(l) && PS_CURRENCY[l.slice(3)] !== undefined, 'a store locale <language>-<country> of a country trawl knows');

export const playstationScope = z
  .object({
    /** Storefronts; each is a partition (its country). */
    locales: z.array(locale).min(1).default(['ko-kr', 'fi-fi']),
    /** Category grids crawled to their last page, per locale. */
    categories: z.array(z.string().regex(/^[0-9a-f-]{36}$/, 'a category id (uuid)')).default(['3f772501-f6f8-49b7-abac-874a88ca4897']),
    /** Read each locale's deals page (its products embedded as __NEXT_DATA__). */
    deals_page: z.boolean().default(true),
    /** Product ids priced one by one through GraphQL productRetrieve. */
    products: z.array(z.string().regex(/^[A-Z]{2}\d{4}-[A-Z]{4}\d{5}_00-[A-Z0-9]{16}$/, 'a product id such as UP9000-PPSA01476_00-RATCHETCLANK0000')).default([]),
    /** The persisted-query hash of productRetrieve, as the store's own pages send it (it changes when Sony redeploys the store); needed with `products`. */
    product_query_hash: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest').optional(),
    /** Where the store's GraphQL answers. */
    graphql_url: z.url().default('https://web.np.playstation.com/api/graphql/v1/op'),
  })
  .strict()
  .refine((s) => s.products.length === 0 || s.product_query_hash !== undefined, { message: 'products need product_query_hash', path: ['product_query_hash'] });
export type PlaystationScope = z.infer<typeof playstationScope>;

interface PsPrice {
  basePrice?: string | null;
  discountedPrice?: string | null;
  discountText?: string | null;
  isFree?: boolean | null;
  isExclusive?: boolean | null;
  isTiedToSubscription?: boolean | null;
  serviceBranding?: string[] | null;
}

interface PsProduct {
  id: string;
  name: string;
  price?: PsPrice | null;
}

const isSubscriptionPrice = (p: PsPrice) => (p.serviceBranding ?? []).some((b) => b !== 'NONE');

/**
 * One grid or page product's offer. A price tied to a subscription ("Included" with PS Plus) is
 * status subscription, never free; a discount only PS Plus members get is not the public price (the
 * base price is); "Ei saatavilla" and friends are not purchasable; no price at all is unavailable.
 */
export function psOffer(p: { id: string; name: string; price?: PsPrice | null }, storeLocale: string, kind: 'product' | 'concept' = 'product'): EmitInput {
  const market = psMarket(storeLocale);
  const base = {
    store: 'playstation',
    store_item_id: kind === 'concept' ? `concept-${p.id}` : p.id,
    title: p.name,
    url: `https://store.playstation.com/${storeLocale}/${kind}/${p.id}`,
    region: market.region,
    currency: market.currency,
  };
  const price = p.price ?? {};
  const sourceFields = { basePrice: price.basePrice ?? null, discountedPrice: price.discountedPrice ?? null, discountText: price.discountText ?? null, serviceBranding: price.serviceBranding ?? null };
  const none = (status: 'subscription' | 'unavailable') => ({ data: { ...base, status, amount: null, regular_amount: null }, sourceFields });
  if (price.isTiedToSubscription || (price.isExclusive && isSubscriptionPrice(price))) {
    // A members' price beside a public one: the public (base) price is the offer.
    if (!price.isFree && price.basePrice && !price.isExclusive) return priced(base, price.basePrice, null, market.currency, sourceFields);
    return none('subscription');
  }
  if (price.isFree) return { data: { ...base, status: 'free', amount: 0, regular_amount: null }, sourceFields };
  if (!price.discountedPrice) return none('unavailable');
  // A discount shown for PS Plus members only: the public price is the base price.
  if (isSubscriptionPrice(price) && price.basePrice) return priced(base, price.basePrice, null, market.currency, sourceFields);
  return priced(base, price.discountedPrice, price.basePrice ?? null, market.currency, sourceFields);
}

function priced(base: Record<string, unknown>, now: string, was: string | null, currency: string, sourceFields: Record<string, unknown>, preorder = false): EmitInput {
  try {
    const offer = readOfferPrice(now, was, currency);
    return { data: { ...base, ...offer, status: preorder && offer.status === 'available' ? 'preorder' : offer.status }, sourceFields };
  } catch (err) {
    if (!(err instanceof PriceParseError)) throw err;
    return { data: base, sourceFields, error: err.message };
  }
}

export interface GridPage {
  records: EmitInput[];
  /** Offset of the next page, when the grid says there is one. */
  next: { offset: number; size: number; total: number } | undefined;
}

/** The offers of one categoryGridRetrieve page: its products, or its concepts where it lists those. */
export function parsePsCategoryGrid(json: string, storeLocale: string): GridPage {
  const body = JSON.parse(json) as {
    data?: { categoryGridRetrieve?: { products?: PsProduct[] | null; concepts?: PsProduct[] | null; pageInfo?: { offset?: number; size?: number; totalCount?: number; isLast?: boolean } } | null };
    errors?: { message?: string }[];
  };
  const grid = body.data?.categoryGridRetrieve;
  if (!grid) throw new Error(`categoryGridRetrieve: no grid${body.errors?.[0]?.message ? ` (${body.errors[0].message})` : ''}`);
  const products = Array.isArray(grid.products) ? grid.products : [];
  const concepts = Array.isArray(grid.concepts) ? grid.concepts : [];
  if (!Array.isArray(grid.products) && !Array.isArray(grid.concepts)) throw new Error('categoryGridRetrieve: neither products nor concepts');
  const records: EmitInput[] = [];
  for (const [kind, items] of [['product', products], ['concept', concepts]] as const) {
    for (const item of items) {
      if (typeof item?.id !== 'string' || typeof item.name !== 'string') {
        // A broken element is kept and quarantined; the rest of the page lands.
        records.push({ data: { store: 'playstation', store_item_id: typeof item?.id === 'string' ? item.id : null }, sourceFields: { element: JSON.stringify(item).slice(0, 500) }, error: 'grid element without a string id and name' });
        continue;
      }
      records.push(psOffer(item, storeLocale, kind));
    }
  }
  const info = grid.pageInfo;
  const offset = info?.offset ?? 0;
  const size = info?.size ?? (products.length || concepts.length);
  const total = info?.totalCount ?? 0;
  const next = info && info.isLast === false && size > 0 && offset + size < total ? { offset: offset + size, size, total } : undefined;
  return { records, next };
}

/** Products embedded in a page's __NEXT_DATA__ (the Apollo cache keyed Product:<id>:<locale>). */
export function parsePsNextData(html: string, storeLocale: string): EmitInput[] {
  const $ = load(html);
  const text = $('script#__NEXT_DATA__').text();
  if (!text) throw new Error('page has no __NEXT_DATA__');
  const data = JSON.parse(text) as { props?: { apolloState?: Record<string, PsProduct & { __typename?: string }> } };
  return Object.entries(data.props?.apolloState ?? {})
    .filter(([k, v]) => k.startsWith('Product:') && v.__typename === 'Product' && v.price)
    .map(([, v]) => psOffer(v, storeLocale));
}

interface WebCta {
  type?: string;
  price?: (PsPrice & { applicability?: string; currencyCode?: string; basePriceValue?: number; discountedValue?: number }) | null;
}

/**
 * A product's offer from productRetrieve's buttons: the purchase button (ADD_TO_CART, PREORDER,
 * PURCHASE) gives the price; UPSELL buttons (PS Plus prices, "Included") are never a purchase price;
 * with only those, the product is status subscription; with no button, unavailable.
 */
export function parsePsProduct(json: string, storeLocale: string): EmitInput {
  const body = JSON.parse(json) as { data?: { productRetrieve?: { id?: string; name?: string; webctas?: WebCta[] | null } | null }; errors?: { message?: string }[] };
  const product = body.data?.productRetrieve;
  if (!product || typeof product.id !== 'string') throw new Error(`productRetrieve: no product${body.errors?.[0]?.message ? ` (${body.errors[0].message})` : ''}`);
  const market = psMarket(storeLocale);
  const base = { store: 'playstation', store_item_id: product.id, title: product.name ?? '', url: `https://store.playstation.com/${storeLocale}/product/${product.id}`, region: market.region, currency: market.currency };
  const ctas = product.webctas ?? [];
  const sourceFields = { webctas: ctas.map((c) => ({ type: c.type ?? null, basePrice: c.price?.basePrice ?? null, discountedPrice: c.price?.discountedPrice ?? null, applicability: c.price?.applicability ?? null })) };
  const buy = ctas.find((c) => c.price && c.price.applicability !== 'UPSELL' && !c.price.isTiedToSubscription && /^(ADD_TO_CART|PREORDER|PURCHASE|BUY_NOW|DOWNLOAD)/.test(c.type ?? ''));
  if (!buy?.price) {
    const subscription = ctas.some((c) => c.price?.isTiedToSubscription || c.price?.applicability === 'UPSELL' || /^UPSELL/.test(c.type ?? ''));
    return { data: { ...base, status: subscription ? 'subscription' : 'unavailable', amount: null, regular_amount: null }, sourceFields };
  }
  if (buy.price.currencyCode && buy.price.currencyCode !== market.currency) {
    return { data: base, sourceFields, error: `product priced in ${buy.price.currencyCode} where ${storeLocale} prices in ${market.currency}` };
  }
  if (buy.price.isFree) return { data: { ...base, status: 'free', amount: 0, regular_amount: null }, sourceFields };
  return priced(base, buy.price.discountedPrice ?? '', buy.price.basePrice ?? null, market.currency, sourceFields, buy.type?.startsWith('PREORDER'));
}

export const isGridResponse = (url: string) => url.includes('/api/graphql/v1/op') && url.includes('categoryGridRetrieve');

const productUrl = (scope: PlaystationScope, id: string, storeLocale: string) => {
  const params = new URLSearchParams({
    operationName: 'productRetrieve',
    variables: JSON.stringify({ productId: id }),
    extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: scope.product_query_hash ?? '' } }),
  });
  return `${scope.graphql_url}?${params}&locale=${storeLocale}`;
};

export default defineSpider({
  name: 'playstation',
  description: 'PlayStation Store: category grids in a browser (captured GraphQL answers), deals pages (__NEXT_DATA__), products (GraphQL).',
  kind: 'cheerio',
  baseUrl: 'https://store.playstation.com',
  allowedDomains: ['store.playstation.com', 'web.np.playstation.com'],
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `playstation:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  // Two locales of one country (en-fi, fi-fi) price the same market: one partition.
  partitions: (scope) => splitScope(scope, 'locales', (l: string) => psMarket(l).region),
  scope: playstationScope,
  // ~2,300 products a locale at 30 a grid page: ~76 browser pages at one every 3 s, under 10 min for two.
  expectedCrawlHours: 1,
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 3, maxRequestsPerMinute: 20 },
  start: ({ baseUrl, scope }) =>
    scope.locales.flatMap((l) => [
      ...(scope.deals_page ? [{ url: `${baseUrl}/${l}/pages/deals`, label: 'NEXT_DATA', userData: { locale: l } }] : []),
      ...scope.categories.map((c) => ({ url: `${baseUrl}/${l}/category/${c}/1`, label: 'GRID', userData: { locale: l, page: 1 } })),
      ...scope.products.map((id) => ({ url: productUrl(scope, id, l), label: 'PRODUCT', userData: { locale: l } })),
    ]),
  routes: {
    NEXT_DATA: {
      yields: 'records',
      handle({ body, request, emit }) {
        for (const r of parsePsNextData(body, String(request.userData.locale))) emit(r);
      },
    },
    GRID: {
      kind: 'playwright',
      capture: isGridResponse,
      yields: 'records',
      async handle({ page, request, captured, emit, enqueue }) {
        // The grid arrives from a GraphQL call the page makes; its body may still be on its way.
        for (let waited = 0; page && captured.length === 0 && waited < 20_000; waited += 100) await page.waitForTimeout(100);
        if (captured.length === 0) throw new Error(`no categoryGridRetrieve answer on ${request.url}`);
        let next: GridPage['next'];
        for (const answer of captured) {
          const grid = parsePsCategoryGrid(answer.body, String(request.userData.locale));
          for (const r of grid.records) emit(r);
          next ??= grid.next;
        }
        if (next) {
          // Grid pages are numbered from 1 in the page URL: /category/<id>/<n>.
          const n = Number(request.userData.page ?? 1) + 1;
          await enqueue({ url: request.url.replace(/\/\d+$/, `/${n}`), label: 'GRID', userData: { ...request.userData, page: n } });
        }
      },
    },
    PRODUCT: {
      kind: 'http',
      yields: 'records',
      handle({ body, request, emit }) {
        emit(parsePsProduct(body, String(request.userData.locale)));
      },
    },
  },
});
