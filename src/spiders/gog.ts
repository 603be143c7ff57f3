// GOG: the catalog API (JSON), one page of products per request, prices in the requested currency.
import { decimalToMinor } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';

const PAGE_SIZE = 48;
const MAX_PAGES = 10;

interface GogProduct {
  id: string;
  title: string;
  storeLink?: string;
  price?: { final?: string; base?: string; discount?: string | null; finalMoney?: { amount: string; currency: string }; baseMoney?: { amount: string; currency: string } } | null;
}

export function parseGogCatalog(json: string, country: string): { records: EmitInput[]; pages: number } {
  const body = JSON.parse(json) as { pages?: number; products?: GogProduct[] };
  if (!Array.isArray(body.products)) throw new Error('catalog: no products array');
  const records = body.products.map((p): EmitInput => {
    const base = { store: 'gog', store_item_id: String(p.id), title: p.title, url: p.storeLink ?? null, region: country };
    const sourceFields = { final: p.price?.final ?? null, base: p.price?.base ?? null, discount: p.price?.discount ?? null };
    const final = p.price?.finalMoney;
    if (!final) return { data: { ...base, currency: 'USD', status: 'unavailable', amount: null, regular_amount: null }, sourceFields };
    try {
      const amount = decimalToMinor(final.amount, final.currency);
      const regular = p.price?.baseMoney ? decimalToMinor(p.price.baseMoney.amount, p.price.baseMoney.currency) : null;
      return {
        data: { ...base, currency: final.currency, status: amount === 0 ? 'free' : 'available', amount, regular_amount: regular !== null && regular !== amount ? regular : null },
        sourceFields,
      };
    } catch (err) {
      return { data: { ...base, currency: final.currency }, sourceFields, error: (err as Error).message };
    }
  });
  return { records, pages: Number(body.pages ?? 1) };
}

export default defineSpider({
  name: 'gog',
  description: 'GOG catalog API (JSON), US storefront in USD, discounted products first.',
  kind: 'http',
  baseUrl: 'https://catalog.gog.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `gog:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  politeness: { maxConcurrency: 2, sameDomainDelaySecs: 1, maxRequestsPerMinute: 60 },
  start: ({ baseUrl }) => [{ url: `${baseUrl}/v1/catalog?limit=${PAGE_SIZE}&page=1&order=desc:discount&countryCode=US&currencyCode=USD`, label: 'CATALOG', userData: { page: 1 } }],
  routes: {
    CATALOG: {
      async handle({ body, request, emit, enqueue }) {
        const { records, pages } = parseGogCatalog(body, 'us');
        for (const r of records) emit(r);
        const page = Number(request.userData.page ?? 1);
        if (page < Math.min(pages, MAX_PAGES)) {
          const next = new URL(request.url);
          next.searchParams.set('page', String(page + 1));
          await enqueue({ url: next.href, label: 'CATALOG', userData: { page: page + 1 } });
        }
      },
    },
  },
});
