// CheapShark: an aggregator's deals (JSON) at other stores. Its prices belong to those stores'
// listings with CheapShark as their source; a Steam deal's item id is the Steam app id, so it lands
// on the same listing as the Steam spider's.
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

export function parseCheapsharkDeals(json: string): EmitInput[] {
  const deals = JSON.parse(json) as Deal[];
  if (!Array.isArray(deals)) throw new Error('deals: not an array');
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

export default defineSpider({
  name: 'cheapshark',
  description: 'CheapShark deals (JSON) at Steam, GOG, Epic and other stores, in USD.',
  kind: 'http',
  baseUrl: 'https://www.cheapshark.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `cheapshark:${o.store}:${o.store_item_id}`,
  // CheapShark asks for gentle use: one request at a time, a second apart.
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 1, maxRequestsPerMinute: 30 },
  start: ({ baseUrl }) => [{ url: `${baseUrl}/api/1.0/deals?pageNumber=0&pageSize=60&sortBy=Savings`, label: 'DEALS' }],
  routes: {
    DEALS: {
      handle({ body, emit }) {
        for (const r of parseCheapsharkDeals(body)) emit(r);
      },
    },
  },
});
