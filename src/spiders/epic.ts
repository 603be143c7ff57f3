// Epic Games Store: freeGamesPromotions (JSON). Answers can carry errors beside data, and an
// element's promotions can be null.
import { defineSpider, type EmitInput } from './define-spider.ts';
import { offerSchema } from './lib/offer.ts';

interface EpicElement {
  id: string;
  title: string;
  productSlug?: string | null;
  urlSlug?: string;
  effectiveDate?: string;
  isCodeRedemptionOnly?: boolean;
  price?: { totalPrice?: { discountPrice: number; originalPrice: number; currencyCode: string; fmtPrice?: Record<string, string> } };
  promotions?: { promotionalOffers?: { promotionalOffers?: unknown[] }[] } | null;
}

interface EpicAnswer {
  errors?: { message?: string; serviceResponse?: string }[];
  data?: { Catalog?: { searchStore?: { elements?: EpicElement[] } | null } };
}

export class EpicAnswerError extends Error {}

/** Offers of a freeGamesPromotions answer; an answer with errors and no elements is an error. */
export function parseEpicPromotions(json: string, country: string): EmitInput[] {
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
    const slug = e.productSlug || e.urlSlug;
    const base = {
      store: 'epic',
      store_item_id: e.id,
      title: e.title,
      url: slug ? `https://store.epicgames.com/p/${slug.replace(/\/home$/, '')}` : null,
      region: country,
      currency: price?.currencyCode ?? 'EUR',
    };
    const sourceFields = { fmtPrice: price?.fmtPrice ?? null, effectiveDate: e.effectiveDate ?? null, promotions: e.promotions === null ? null : 'present' };
    // A vaulted mystery game (code redemption only, far-future date) cannot be bought.
    if (!price || e.isCodeRedemptionOnly) return { data: { ...base, status: 'unavailable', amount: null, regular_amount: null }, sourceFields };
    const free = price.discountPrice === 0;
    return {
      data: { ...base, status: free ? 'free' : 'available', amount: price.discountPrice, regular_amount: free || price.originalPrice === price.discountPrice ? null : price.originalPrice },
      sourceFields,
    };
  });
}

export default defineSpider({
  name: 'epic',
  description: 'Epic Games Store free-games promotions (JSON), French storefront in EUR.',
  kind: 'http',
  baseUrl: 'https://store-site-backend-static.ak.epicgames.com',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `epic:${o.store_item_id}:${o.region}`,
  partition: (o) => o.region,
  politeness: { maxConcurrency: 1, sameDomainDelaySecs: 2, maxRequestsPerMinute: 20 },
  start: ({ baseUrl }) => [{ url: `${baseUrl}/freeGamesPromotions?locale=fr&country=FR&allowCountries=FR`, label: 'PROMOTIONS', userData: { country: 'fr' } }],
  routes: {
    PROMOTIONS: {
      handle({ body, request, emit }) {
        for (const r of parseEpicPromotions(body, String(request.userData.country))) emit(r);
      },
    },
  },
});
