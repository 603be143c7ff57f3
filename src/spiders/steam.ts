// Steam: store search results (HTML) to discover apps, then the appdetails API (JSON,
// filters=price_overview, several apps per call) for their price in each country.
import { load } from 'cheerio';
import { CURRENCY_EXPONENT } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';

/** Storefronts priced per crawl; each is a partition (delisting works per country). */
export const STEAM_COUNTRIES = ['us', 'kr', 'tr'];
const APPS_PER_CALL = 20;
const SEARCH_PAGE_SIZE = 25;
const MAX_SEARCH_PAGES = 4;

export interface SteamSearchRow {
  appId: number;
  title: string;
  /** data-price-final is minor units x 100 of the storefront currency (KRW 16,350 is 1635000). */
  priceFinal: number | null;
  discountPct: number | null;
}

export function parseSteamSearchResults(html: string): SteamSearchRow[] {
  const $ = load(html);
  return $('a.search_result_row[data-ds-appid]')
    .map((_, a) => {
      const row = $(a);
      const price = row.find('[data-price-final]').first().attr('data-price-final');
      const discount = row.find('[data-discount]').first().attr('data-discount');
      return {
        // Bundles list several ids; the first is the app the row is about.
        appId: Number(String(row.attr('data-ds-appid')).split(',')[0]),
        title: row.find('.title').first().text().trim(),
        priceFinal: price === undefined ? null : Number(price) / 100,
        discountPct: discount === undefined ? null : Number(discount),
      };
    })
    .get()
    .filter((r) => Number.isInteger(r.appId) && r.appId > 0);
}

interface PriceOverview {
  currency: string;
  initial: number;
  final: number;
  discount_percent: number;
  initial_formatted: string;
  final_formatted: string;
}

type AppDetails = Record<string, { success: boolean; data?: { is_free?: boolean; name?: string; price_overview?: PriceOverview } | unknown[] }>;

/** One offer per app of an appdetails answer; {"success":false} means not sold there, not an error. */
export function parseSteamAppDetails(json: string, country: string, titles: Record<string, string>): EmitInput[] {
  const body = JSON.parse(json) as AppDetails;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('appdetails: not an object keyed by app id');
  return Object.entries(body).map(([appId, entry]) => {
    const data = entry.success && entry.data && !Array.isArray(entry.data) ? entry.data : undefined;
    const po = data?.price_overview;
    const base = {
      store: 'steam',
      store_item_id: appId,
      title: titles[appId] ?? data?.name ?? `Steam app ${appId}`,
      url: `https://store.steampowered.com/app/${appId}/`,
      region: country,
      steam_app_id: Number(appId),
    };
    if (po) {
      // price_overview amounts are in the currency's minor unit already (4499 = 44.99 USD).
      const known = CURRENCY_EXPONENT[po.currency] !== undefined;
      const record = { ...base, currency: po.currency, status: 'available', amount: po.final, regular_amount: po.initial === po.final ? null : po.initial };
      return { data: record, sourceFields: { final_formatted: po.final_formatted, initial_formatted: po.initial_formatted, discount_percent: po.discount_percent }, ...(known ? {} : { error: `unknown currency ${po.currency}` }) };
    }
    const currency = STEAM_CURRENCY[country] ?? 'USD';
    if (data?.is_free) return { data: { ...base, currency, status: 'free', amount: 0, regular_amount: null }, sourceFields: { is_free: true } };
    return { data: { ...base, currency, status: 'unavailable', amount: null, regular_amount: null }, sourceFields: { success: entry.success } };
  });
}

/** The currency a storefront prices in, for offers that carry no price (free, not sold). */
const STEAM_CURRENCY: Record<string, string> = { us: 'USD', kr: 'KRW', tr: 'USD' };

export default defineSpider({
  name: 'steam',
  description: 'Steam store search (HTML) for discovery, appdetails price_overview (JSON) per country.',
  kind: 'http',
  baseUrl: 'https://store.steampowered.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `steam:app:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  politeness: { maxConcurrency: 2, sameDomainDelaySecs: 1.5, maxRequestsPerMinute: 40 },
  start: ({ baseUrl }) => [{ url: `${baseUrl}/search/results/?specials=1&infinite=1&cc=kr&start=0&count=${SEARCH_PAGE_SIZE}`, label: 'SEARCH', userData: { page: 0 } }],
  routes: {
    SEARCH: {
      kind: 'cheerio',
      async handle({ body, request, enqueue }) {
        const rows = parseSteamSearchResults(body);
        const titles = Object.fromEntries(rows.map((r) => [String(r.appId), r.title]));
        const ids = [...new Set(rows.map((r) => r.appId))];
        for (let i = 0; i < ids.length; i += APPS_PER_CALL) {
          const batch = ids.slice(i, i + APPS_PER_CALL);
          for (const cc of STEAM_COUNTRIES) {
            const url = new URL('/api/appdetails', request.url);
            url.search = `appids=${batch.join(',')}&cc=${cc}&filters=price_overview`;
            await enqueue({ url: url.href, label: 'APPDETAILS', userData: { country: cc, titles } });
          }
        }
        const page = Number(request.userData.page ?? 0);
        if (rows.length >= SEARCH_PAGE_SIZE && page + 1 < MAX_SEARCH_PAGES) {
          const next = new URL(request.url);
          next.searchParams.set('start', String((page + 1) * SEARCH_PAGE_SIZE));
          await enqueue({ url: next.href, label: 'SEARCH', userData: { page: page + 1 } });
        }
      },
    },
    APPDETAILS: {
      handle({ body, request, emit }) {
        const titles = (request.userData.titles ?? {}) as Record<string, string>;
        for (const record of parseSteamAppDetails(body, String(request.userData.country), titles)) emit(record);
      },
    },
  },
});
