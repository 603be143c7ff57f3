// The record every price source emits: one listing's price in one region, as the source showed it.
import { z } from 'zod';
import { CURRENCY_EXPONENT, MAX_AMOUNT, parsePrice, PriceParseError } from '../../lib/money.ts';

const amount = z.number().int().nonnegative().max(MAX_AMOUNT);

export const offerSchema = z
  .object({
    store: z.string().regex(/^[a-z0-9_]+$/, 'store ids are lower_snake_case').max(64),
    store_item_id: z.string().min(1).max(256),
    title: z.string().trim().min(1).max(500),
    // A page people can open: http(s) only (javascript: and data: URLs would be published as links).
    url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2048).nullable(),
    region: z.string().regex(/^[a-z]{2}$/, 'regions are two lower-case letters'),
    currency: z.string().refine((c) => CURRENCY_EXPONENT[c] !== undefined, 'unknown ISO 4217 currency'),
    status: z.enum(['available', 'free', 'preorder', 'unavailable', 'subscription']),
    amount: amount.nullable(),
    regular_amount: amount.nullable(),
    steam_app_id: z.number().int().positive().nullable().optional(),
    review_count: z.number().int().nonnegative().nullable().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const priced = o.status === 'available' || o.status === 'preorder' || o.status === 'free';
    if (priced !== (o.amount !== null)) ctx.addIssue({ code: 'custom', message: `status ${o.status} with amount ${o.amount}` });
    if (o.status === 'free' && o.amount !== 0) ctx.addIssue({ code: 'custom', message: 'a free offer has amount 0' });
    if (o.regular_amount !== null && o.amount !== null && o.regular_amount < o.amount)
      ctx.addIssue({ code: 'custom', message: `regular amount ${o.regular_amount} below amount ${o.amount}` });
  });

export type Offer = z.infer<typeof offerSchema>;

export interface OfferPrice {
  status: Offer['status'];
  amount: number | null;
  regular_amount: number | null;
}

/** Reads a shown price and optional regular price; a string it cannot read throws PriceParseError. */
export function readOfferPrice(priceText: string, regularText: string | null, currency: string): OfferPrice {
  const price = parsePrice(priceText, currency);
  let regular: number | null = null;
  // The same text twice ("Free" shown as both) is no discount and need not be a price.
  if (regularText && regularText !== priceText) {
    const r = parsePrice(regularText, currency);
    if (r.status !== 'available') throw new PriceParseError(regularText, 'regular price is not a price');
    regular = r.amount;
  }
  // A regular price equal to the price is no discount: regular_amount is null then.
  return { status: price.status, amount: price.amount, regular_amount: regular === price.amount ? null : regular };
}
