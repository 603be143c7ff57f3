// Epic Games Store: freeGamesPromotions (JSON), per configured country. Answers can carry errors
// beside data (partial GraphQL errors: the elements still count), and an element's promotions can be null.
import { z } from 'zod';
import { CURRENCY_EXPONENT } from '../lib/money.ts';
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';
import { splitScope } from './lib/split-scope.ts';

interface EpicElement {
  id: string;
  title: string;
  productSlug?: string | null;
  urlSlug?: string;
  catalogNs?: { mappings?: { pageSlug?: string; pageType?: string }[] | null } | null;
  offerMappings?: { pageSlug?: string; pageType?: string }[] | null;
  effectiveDate?: string;
  isCodeRedemptionOnly?: boolean;
  price?: { totalPrice?: { discountPrice: number; originalPrice: number; currencyCode: string; currencyInfo?: { decimals?: number }; fmtPrice?: Record<string, string> } };
  promotions?: { promotionalOffers?: { promotionalOffers?: unknown[] }[] } | null;
}

interface EpicAnswer {
  errors?: { message?: string; serviceResponse?: string }[];
  data?: { Catalog?: { searchStore?: { elements?: EpicElement[] } | null } };
}

export class EpicAnswerError extends Error {}

/** A store page slug: lower-case words and dashes ("lost-castle-abb2e2"); not "[]", not a path. */
const PAGE_SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The store page slug of an element: its offer page (offerMappings), else the productHome page of its
 * catalog namespace, else productSlug (without "/home"). urlSlug is not a page (often a 32-hex catalog
 * id), and a value that is not slug-shaped (Epic sends productSlug "[]" for mystery games) is none.
 */
export function epicPageSlug(e: Pick<EpicElement, 'productSlug' | 'catalogNs' | 'offerMappings'>): string | null {
  const pick = (maps: { pageSlug?: string; pageType?: string }[] | null | undefined, type: string) => (maps ?? []).find((m) => m.pageType === type && PAGE_SLUG.test(m.pageSlug ?? ''))?.pageSlug;
  const product = e.productSlug?.replace(/\/home$/, '');
  return pick(e.offerMappings, 'offer') ?? pick(e.catalogNs?.mappings, 'productHome') ?? (product && PAGE_SLUG.test(product) ? product : null);
}

export function parseEpicPromotions(json: string, country: string, currency: string): EmitInput[] {
  const body = JSON.parse(json) as EpicAnswer;
  const elements = body.data?.Catalog?.searchStore?.elements;
  if (!Array.isArray(elements)) {
    const first = body.errors?.[0];
    let code = '';
    try {
      code = first?.serviceResponse ? ` (${JSON.parse(first.serviceResponse).numericErrorCode})` : '';
    } catch {
      code = '';
    }
    throw new EpicAnswerError(`freeGamesPromotions answered no elements: ${first?.message ?? 'no errors given'}${code}`);
  }
  return elements.map((e): EmitInput => {
    const price = e.price?.totalPrice;
    const slug = epicPageSlug(e);
    const base = {
      store: 'epic',
      store_item_id: e.id,
      title: e.title,
      url: slug ? `https://store.epicgames.com/p/${slug}` : null,
      region: country,
      currency,
    };
    const sourceFields = { fmtPrice: price?.fmtPrice ?? null, effectiveDate: e.effectiveDate ?? null, promotions: e.promotions === null ? null : 'present' };
    // A vaulted mystery game (code redemption only, far-future date) cannot be bought.
    if (!price || e.isCodeRedemptionOnly) return { data: { ...base, status: 'unavailable', amount: null, regular_amount: null }, sourceFields };
    if (price.currencyCode !== currency) return { data: base, sourceFields, error: `priced in ${price.currencyCode} where this storefront prices in ${currency}` };
    const decimals = price.currencyInfo?.decimals;
    if (decimals !== undefined && CURRENCY_EXPONENT[price.currencyCode] !== undefined && decimals !== CURRENCY_EXPONENT[price.currencyCode]) {
      return { data: base, sourceFields, error: `${price.currencyCode} with ${decimals} decimals, where ISO 4217 has ${CURRENCY_EXPONENT[price.currencyCode]}` };
    }
    const free = price.discountPrice === 0;
    return {
      data: { ...base, status: free ? 'free' : 'available', amount: price.discountPrice, regular_amount: free || price.originalPrice === price.discountPrice ? null : price.originalPrice },
      sourceFields,
    };
  });
}

export const epicScope = z
  .object({
    /** Storefronts: country code (a partition, lower-cased) and the locale of its texts. */
    countries: z
      .array(
        z.object({
          country: z.string().regex(/^[A-Z]{2}$/),
          locale: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/),
          /** What the storefront prices in: an answer in another currency is quarantined. */
          currency: z.string().refine((c) => CURRENCY_EXPONENT[c] !== undefined, 'a known ISO 4217 code'),
        }).strict(),
      )
      .min(1)
      .default([{ country: 'FR', locale: 'fr', currency: 'EUR' }, { country: 'US', locale: 'en-US', currency: 'USD' }]),
  })
  .strict();
export type EpicScope = z.infer<typeof epicScope>;

export default defineSpider({
  name: 'epic',
  description: 'Epic Games Store free-games promotions (JSON), per configured country.',
  kind: 'http',
  baseUrl: 'https://store-site-backend-static.ak.epicgames.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `epic:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  partitions: (scope) => splitScope(scope, 'countries', (c: { country: string }) => c.country.toLowerCase()),
  scope: epicScope,
  // One request per country.
  expectedCrawlHours: 0.1,
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 2, maxRequestsPerMinute: 20 },
  start: ({ baseUrl, scope }) =>
    scope.countries.map((c) => ({
      url: `${baseUrl}/freeGamesPromotions?locale=${c.locale}&country=${c.country}&allowCountries=${c.country}`,
      label: 'PROMOTIONS',
      userData: { country: c.country.toLowerCase(), currency: c.currency },
    })),
  routes: {
    PROMOTIONS: {
      yields: 'records',
      handle({ body, request, emit }) {
        for (const r of parseEpicPromotions(body, String(request.userData.country), String(request.userData.currency))) emit(r);
      },
    },
  },
});
