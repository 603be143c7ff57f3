// Steam: apps to price come from a watchlist and from the store's featured lists (featuredcategories,
// JSON, per country); their prices from appdetails (JSON, filters=price_overview, many apps a call).
// An app that answers no price there (free, or not sold) is asked once more, alone and unfiltered,
// so a free-to-play game is recorded free and only a game Steam does not sell is "unavailable".
import { z } from 'zod';
import { CURRENCY_EXPONENT } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';
import { splitScope } from './lib/split-scope.ts';

/** The currency each supported storefront prices in (for offers that carry no price: free, not sold). */
export const STEAM_CURRENCY: Record<string, string> = {
  us: 'USD', kr: 'KRW', tr: 'USD', ua: 'UAH', gb: 'GBP', de: 'EUR', fr: 'EUR', fi: 'EUR', es: 'EUR', it: 'EUR', nl: 'EUR', cz: 'EUR',
  pl: 'PLN', br: 'BRL', jp: 'JPY', ca: 'CAD', au: 'AUD', nz: 'NZD', cn: 'CNY', in: 'INR', mx: 'MXN', ch: 'CHF', no: 'NOK',
};

const FEATURED_LISTS = ['specials', 'top_sellers', 'new_releases', 'coming_soon'] as const;

export const steamScope = z
  .object({
    /** Storefronts to price in; each is a partition. */
    countries: z.array(z.string().refine((c) => STEAM_CURRENCY[c] !== undefined, `a Steam country trawl knows (${Object.keys(STEAM_CURRENCY).join(', ')})`)).min(1).default(['us', 'kr', 'tr']),
    /** Featured lists of each storefront whose apps are priced too. */
    featured: z.array(z.enum(FEATURED_LISTS)).default(['specials', 'top_sellers', 'new_releases']),
    /** App ids always priced, featured or not. */
    app_ids: z.array(z.number().int().positive()).default([570, 440, 730, 1245620, 1091500, 413150, 292030]),
  })
  .strict();
export type SteamScope = z.infer<typeof steamScope>;

/** Apps per appdetails call (filters=price_overview accepts a list). */
export const APPS_PER_CALL = 50;
/** Steam answers about 200 appdetails calls per 5 minutes per client; trawl stays below. */
const REQUESTS_PER_MINUTE = 36;

interface FeaturedItem {
  id: number;
  type: number;
  name: string;
}

/** App ids (type 0) and names of the chosen featured lists; a missing list is an error, an empty one is not. */
export function parseSteamFeatured(json: string, lists: readonly string[]): { ids: number[]; titles: Record<string, string> } {
  const body = JSON.parse(json) as Record<string, { items?: FeaturedItem[] } | unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('featuredcategories: not an object');
  const titles: Record<string, string> = {};
  for (const list of lists) {
    const items = (body[list] as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items)) throw new Error(`featuredcategories: no list ${list}`);
    for (const item of items as FeaturedItem[]) {
      if (item?.type === 0 && Number.isInteger(item.id) && item.id > 0) titles[String(item.id)] = String(item.name ?? '');
    }
  }
  return { ids: Object.keys(titles).map(Number), titles };
}

interface PriceOverview {
  currency: string;
  initial: number;
  final: number;
  discount_percent: number;
  initial_formatted: string;
  final_formatted: string;
}

interface AppData {
  name?: string;
  is_free?: boolean;
  price_overview?: PriceOverview;
  release_date?: { coming_soon?: boolean; date?: string };
}

type AppDetails = Record<string, { success?: boolean; data?: AppData | unknown[] } | null>;

export type AppDetailsResult =
  | { kind: 'offer'; offer: EmitInput }
  /** The filtered answer carries no price: free or not for sale, which only the full answer tells. */
  | { kind: 'ask-full'; appId: string };

const base = (appId: string, title: string, country: string) => ({
  store: 'steam',
  store_item_id: appId,
  title,
  url: `https://store.steampowered.com/app/${appId}/`,
  region: country,
  steam_app_id: Number(appId),
});

/**
 * One result per app of an appdetails answer. `full`: the answer is unfiltered (one app), so an app
 * without a price is decided here: free, not yet released, or not for sale.
 */
export function parseSteamAppDetails(json: string, country: string, titles: Record<string, string>, full = false): AppDetailsResult[] {
  const body = JSON.parse(json) as AppDetails;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('appdetails: not an object keyed by app id');
  const currency = STEAM_CURRENCY[country];
  if (!currency) throw new Error(`appdetails: no currency known for Steam country ${country}`);
  return Object.entries(body).map(([appId, entry]): AppDetailsResult => {
    if (!/^\d+$/.test(appId)) throw new Error(`appdetails: key ${JSON.stringify(appId.slice(0, 40))} is not an app id`);
    const data = entry?.success && entry.data && !Array.isArray(entry.data) ? entry.data : undefined;
    const title = titles[appId] || data?.name || `Steam app ${appId}`;
    const po = data?.price_overview;
    if (po) {
      // price_overview amounts are in the currency's minor unit already (4499 = 44.99 USD, 16350 = ₩16,350).
      const sourceFields = { final_formatted: po.final_formatted, initial_formatted: po.initial_formatted, discount_percent: po.discount_percent };
      const record = { ...base(appId, title, country), currency: po.currency, status: 'available', amount: po.final, regular_amount: po.initial === po.final ? null : po.initial };
      if (CURRENCY_EXPONENT[po.currency] === undefined) return { kind: 'offer', offer: { data: record, sourceFields, error: `unknown currency ${po.currency}` } };
      return { kind: 'offer', offer: { data: record, sourceFields } };
    }
    if (entry?.success === false || entry === null) {
      // Steam answers success:false for an app it does not sell in this country (or at all).
      return { kind: 'offer', offer: { data: { ...base(appId, title, country), currency, status: 'unavailable', amount: null, regular_amount: null }, sourceFields: { success: false } } };
    }
    if (!full) return { kind: 'ask-full', appId };
    if (data?.is_free) return { kind: 'offer', offer: { data: { ...base(appId, title, country), currency, status: 'free', amount: 0, regular_amount: null }, sourceFields: { is_free: true } } };
    const comingSoon = data?.release_date?.coming_soon === true;
    return {
      kind: 'offer',
      offer: {
        data: { ...base(appId, title, country), currency, status: 'unavailable', amount: null, regular_amount: null },
        sourceFields: { is_free: data?.is_free ?? null, coming_soon: comingSoon, release_date: data?.release_date?.date ?? null },
      },
    };
  });
}

const appDetailsUrl = (baseUrl: string, ids: (string | number)[], cc: string, filtered: boolean) => {
  const url = new URL('/api/appdetails', baseUrl);
  url.search = `appids=${ids.join(',')}&cc=${cc}${filtered ? '&filters=price_overview' : ''}`;
  return url.href;
};

function appDetailsBatches(baseUrl: string, ids: number[], cc: string, titles: Record<string, string>) {
  const batches = [];
  for (let i = 0; i < ids.length; i += APPS_PER_CALL) {
    batches.push({ url: appDetailsUrl(baseUrl, ids.slice(i, i + APPS_PER_CALL), cc, true), label: 'APPDETAILS', userData: { country: cc, titles } });
  }
  return batches;
}

export default defineSpider({
  name: 'steam',
  description: 'Steam: featured lists and a watchlist per country (featuredcategories, JSON), priced by appdetails (JSON).',
  kind: 'http',
  baseUrl: 'https://store.steampowered.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `steam:app:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  partitions: (scope) => splitScope(scope, 'countries', (cc: string) => cc),
  // The featured lists change every day: an app that leaves them is not gone from Steam, so a
  // missing key is never delisted (an app Steam stops selling answers success:false: unavailable).
  delists: false,
  scope: steamScope,
  // Per country: 1 featured list, (featured + watchlist) / 50 price calls, one per priceless app; 36 a minute.
  expectedCrawlHours: 1,
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 60 / REQUESTS_PER_MINUTE, maxRequestsPerMinute: REQUESTS_PER_MINUTE },
  start: ({ baseUrl, scope }) =>
    scope.countries.flatMap((cc) => [
      ...(scope.featured.length ? [{ url: `${baseUrl}/api/featuredcategories?cc=${cc}&l=english`, label: 'FEATURED', userData: { country: cc } }] : []),
      ...appDetailsBatches(baseUrl, scope.app_ids, cc, {}),
    ]),
  routes: {
    FEATURED: {
      yields: 'requests',
      async handle({ body, request, scope, enqueue, noResults }) {
        const s = scope as SteamScope;
        const { ids, titles } = parseSteamFeatured(body, s.featured);
        const fresh = ids.filter((id) => !s.app_ids.includes(id));
        if (ids.length > 0 && fresh.length === 0) noResults('every featured app is on the watchlist');
        await enqueue(appDetailsBatches(request.url, fresh, String(request.userData.country), titles));
      },
    },
    APPDETAILS: {
      async handle({ body, request, emit, enqueue }) {
        const country = String(request.userData.country);
        const titles = (request.userData.titles ?? {}) as Record<string, string>;
        for (const r of parseSteamAppDetails(body, country, titles)) {
          if (r.kind === 'offer') emit(r.offer);
          else await enqueue({ url: appDetailsUrl(request.url, [r.appId], country, false), label: 'APPDETAILS_FULL', userData: { country, titles: { [r.appId]: titles[r.appId] ?? '' } } });
        }
      },
    },
    APPDETAILS_FULL: {
      yields: 'records',
      handle({ body, request, emit }) {
        const titles = (request.userData.titles ?? {}) as Record<string, string>;
        for (const r of parseSteamAppDetails(body, String(request.userData.country), titles, true)) if (r.kind === 'offer') emit(r.offer);
      },
    },
  },
});
