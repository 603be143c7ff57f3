// GOG: the catalog API (JSON), one page of products per request, prices in the requested currency.
import { z } from 'zod';
import { decimalToMinor } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';
import { splitScope } from './lib/split-scope.ts';

export const gogScope = z
  .object({
    /** Storefronts: country code (a partition, lower-cased) and the currency asked for. */
    countries: z.array(z.object({ country: z.string().regex(/^[A-Z]{2}$/), currency: z.string().regex(/^[A-Z]{3}$/) }).strict()).min(1).default([{ country: 'US', currency: 'USD' }]),
    /** Products per catalog page (GOG serves up to 48). */
    page_size: z.number().int().min(1).max(48).default(48),
    /** The catalog's sort order; every page is read to the last one the answer names. */
    order: z.string().regex(/^(asc|desc):[a-zA-Z]+$/).default('desc:discount'),
  })
  .strict();
export type GogScope = z.infer<typeof gogScope>;

interface GogProduct {
  id: string;
  title: string;
  storeLink?: string;
  price?: { final?: string; base?: string; discount?: string | null; finalMoney?: { amount: string; currency: string }; baseMoney?: { amount: string; currency: string } } | null;
}

export function parseGogCatalog(json: string, country: string): { records: EmitInput[]; pages: number } {
  const body = JSON.parse(json) as { pages?: number; products?: GogProduct[] };
  if (typeof body !== 'object' || body === null || !Array.isArray(body.products)) throw new Error('catalog: no products array');
  if (body.pages !== undefined && !(Number.isInteger(body.pages) && body.pages >= 0)) throw new Error(`catalog: pages ${JSON.stringify(body.pages)} is not a page count`);
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
  return { records, pages: body.pages ?? 1 };
}

export default defineSpider({
  name: 'gog',
  description: 'GOG catalog API (JSON), every page of the catalog per configured country, discounted products first.',
  kind: 'http',
  baseUrl: 'https://catalog.gog.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `gog:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  partitions: (scope) => splitScope(scope, 'countries', (c: { country: string }) => c.country.toLowerCase()),
  scope: gogScope,
  // The recorded answer names 58 pages of 48: about a minute per country at one a second.
  expectedCrawlHours: 0.2,
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 1, maxRequestsPerMinute: 60 },
  start: ({ baseUrl, scope }) =>
    scope.countries.map((c) => ({
      url: `${baseUrl}/v1/catalog?limit=${scope.page_size}&page=1&order=${scope.order}&countryCode=${c.country}&currencyCode=${c.currency}`,
      label: 'CATALOG',
      userData: { page: 1, country: c.country.toLowerCase() },
    })),
  routes: {
    CATALOG: {
      // A catalog page lists products; only a catalog that reports none may be empty.
      yields: 'records',
      async handle({ body, request, emit, enqueue, noResults }) {
        const { records, pages } = parseGogCatalog(body, String(request.userData.country ?? 'us'));
        for (const r of records) emit(r);
        const page = Number(request.userData.page ?? 1);
        if (records.length === 0 && pages === 0) noResults('the catalog reports no products');
        // To the last page the answer names, not to a constant.
        if (page < pages) {
          const next = new URL(request.url);
          next.searchParams.set('page', String(page + 1));
          await enqueue({ url: next.href, label: 'CATALOG', userData: { ...request.userData, page: page + 1 } });
        }
      },
    },
  },
});
