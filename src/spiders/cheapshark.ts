// CheapShark: an aggregator's deals (JSON) at other stores. Its prices belong to those stores'
// listings with CheapShark as their source; a Steam deal's item id is the Steam app id, so it lands
// on the same listing as the Steam spider's.
import { z } from 'zod';
import { decimalToMinor } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';

/** CheapShark store ids of stores trawl has spiders for; the rest keep a cheapshark_<id> store. */
const KNOWN_STORES: Record<string, string> = { '1': 'steam', '7': 'gog', '25': 'epic' };

interface Deal {
  title: string;
  dealID: string;
  storeID: string;
  gameID: string;
  salePrice: string;
  normalPrice: string;
  steamAppID: string | null;
  steamRatingCount?: string;
  lastChange?: number;
}

export function cheapsharkStore(storeID: string): string {
  return KNOWN_STORES[storeID] ?? `cheapshark_${storeID.replace(/\D/g, '')}`;
}

/** An answer that is not a list of deals (another endpoint's shape, an error object). */
export class CheapsharkShapeError extends Error {}

const DEAL_FIELDS = ['dealID', 'storeID', 'gameID', 'salePrice', 'normalPrice', 'title'] as const;

export function parseCheapsharkDeals(json: string): EmitInput[] {
  const deals = JSON.parse(json) as Deal[];
  if (!Array.isArray(deals)) throw new CheapsharkShapeError(`deals: expected a JSON array of deals, got ${deals === null ? 'null' : typeof deals}`);
  const bad = deals.findIndex((d) => typeof d !== 'object' || d === null || DEAL_FIELDS.some((f) => typeof (d as unknown as Record<string, unknown>)[f] !== 'string'));
  if (bad >= 0) {
    const missing = DEAL_FIELDS.filter((f) => typeof (deals[bad] as unknown as Record<string, unknown> | null)?.[f] !== 'string');
    throw new CheapsharkShapeError(`deals: element ${bad} is not a deal (no string ${missing.join(', ')}): the answer has another shape`);
  }
  return deals.map((d): EmitInput => {
    const store = cheapsharkStore(d.storeID);
    const steamAppId = d.steamAppID ? Number(d.steamAppID) : null;
    const base = {
      store,
      // At Steam the store's own id is the app id; elsewhere CheapShark's game id stands in for it.
      store_item_id: store === 'steam' && steamAppId ? String(steamAppId) : `cs-${d.gameID}`,
      title: d.title,
      url: `https://www.cheapshark.com/redirect?dealID=${encodeURIComponent(d.dealID)}`,
      region: 'us',
      currency: 'USD',
      steam_app_id: steamAppId,
    };
    const sourceFields = { salePrice: d.salePrice, normalPrice: d.normalPrice, storeID: d.storeID, dealID: d.dealID };
    try {
      const amount = decimalToMinor(d.salePrice, 'USD');
      const regular = decimalToMinor(d.normalPrice, 'USD');
      return { data: { ...base, status: amount === 0 ? 'free' : 'available', amount, regular_amount: regular !== amount ? regular : null }, sourceFields };
    } catch (err) {
      return { data: base, sourceFields, error: (err as Error).message };
    }
  });
}

export const cheapsharkScope = z
  .object({
    /** Deals per page (CheapShark allows up to 60). */
    page_size: z.number().int().min(1).max(60).default(60),
    /** Pages read at most (sorted by savings); the answer's X-Total-Page-Count ends it sooner. */
    max_pages: z.number().int().min(1).max(1000).default(50),
    /** CheapShark store ids to keep (empty: all stores). */
    store_ids: z.array(z.string().regex(/^\d+$/)).default([]),
  })
  .strict();
export type CheapsharkScope = z.infer<typeof cheapsharkScope>;

const dealsUrl = (base: string, scope: CheapsharkScope, page: number) => {
  const url = new URL('/api/1.0/deals', base);
  url.search = `pageNumber=${page}&pageSize=${scope.page_size}&sortBy=Savings${scope.store_ids.length ? `&storeID=${scope.store_ids.join(',')}` : ''}`;
  return url.href;
};

export default defineSpider({
  name: 'cheapshark',
  description: 'CheapShark deals (JSON) at Steam, GOG, Epic and other stores, in USD.',
  kind: 'http',
  baseUrl: 'https://www.cheapshark.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `cheapshark:${o.store}:${o.store_item_id}`,
  scope: cheapsharkScope,
  // max_pages requests at one every 2 s.
  expectedCrawlHours: 0.1,
  // CheapShark asks for gentle use: one request at a time, seconds apart.
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 2, maxRequestsPerMinute: 30 },
  start: ({ baseUrl, scope }) => [{ url: dealsUrl(baseUrl, scope, 0), label: 'DEALS', userData: { page: 0 } }],
  routes: {
    DEALS: {
      yields: 'records',
      async handle({ body, request, headers, scope, emit, enqueue, noResults }) {
        const s = scope as CheapsharkScope;
        const records = parseCheapsharkDeals(body);
        for (const r of records) emit(r);
        const page = Number(request.userData.page ?? 0);
        // X-Total-Page-Count says how many pages there are; without it, a short page is the last.
        const total = Number(headers['x-total-page-count']);
        const more = Number.isInteger(total) && total > 0 ? page + 1 < total : records.length >= s.page_size;
        // Past the first page an empty one is the end of the list; an empty first page is a changed answer.
        if (records.length === 0 && page > 0) noResults(`page ${page} of the deals is empty: the list ended`);
        if (more && page + 1 < s.max_pages) await enqueue({ url: dealsUrl(request.url, s, page + 1), label: 'DEALS', userData: { page: page + 1 } });
      },
    },
  },
});
