// The money parser over every shown price string in the recorded responses of test/fixtures: each
// parses to the amount the same answer states as a number beside it, or refuses with a message that
// quotes it. Then, as a property, the same holds with the spacing a page may add around it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrice, PriceParseError } from '../../src/lib/money.ts';
import { fixture } from '../helpers/fixture-server.ts';

interface Shown {
  where: string;
  text: string;
  currency: string;
  /** The amount the answer states as a number next to the text; undefined where it states none. */
  amount: number | undefined;
}

const json = (rel: string) => JSON.parse(fixture(rel).toString()) as Record<string, unknown>;

function shownPrices(): Shown[] {
  const out: Shown[] = [];
  // Steam appdetails: final_formatted / initial_formatted beside final / initial, in the currency given.
  for (const file of ['steam-appdetails/appdetails_priceoverview_multi_cc-tr_USD.json', 'steam-appdetails/appdetails_priceoverview_multi_cc-ua_UAH.json']) {
    type PriceOverview = { currency: string; initial: number; final: number; initial_formatted: string; final_formatted: string };
    for (const [id, e] of Object.entries(json(file) as Record<string, { data: { price_overview: PriceOverview } }>)) {
      const po = e.data.price_overview;
      out.push({ where: `${file} ${id} final`, text: po.final_formatted, currency: po.currency, amount: po.final });
      if (po.initial_formatted) out.push({ where: `${file} ${id} initial`, text: po.initial_formatted, currency: po.currency, amount: po.initial });
    }
  }
  // Steam featuredcategories: no shown strings (integer cents only).
  // PlayStation productRetrieve: basePrice / discountedPrice beside basePriceValue / discountedValue.
  for (const file of [
    'playstation-store/graphql_productRetrieve_price_included-plus_and_cart.json',
    'playstation-store/graphql_productRetrieve_price_preorder_plus-discount-upsell.json',
    'playstation-store/graphql_productRetrieve_price_plus-only_no-purchase.json',
    'playstation-store/graphql_productRetrieve_price_classic-catalog_full-price.json',
    'playstation-store/graphql_productRetrieve_price_discount-plus-upsell_released.json',
  ]) {
    type CtaPrice = { basePrice: string; discountedPrice: string; currencyCode: string; basePriceValue: number; discountedValue: number };
    const ctas = (json(file).data as { productRetrieve: { webctas: { type: string; price: CtaPrice }[] } }).productRetrieve.webctas;
    for (const c of ctas) {
      out.push({ where: `${file} ${c.type} base`, text: c.price.basePrice, currency: c.price.currencyCode, amount: c.price.basePriceValue });
      out.push({ where: `${file} ${c.type} discounted`, text: c.price.discountedPrice, currency: c.price.currencyCode, amount: c.price.discountedValue });
    }
  }
  // PlayStation grids and the deals page: shown strings only, in the storefront's currency.
  const grids: [string, string][] = [
    ['playstation-store/graphql_categoryGridRetrieve_products_fi-FI.json', 'EUR'],
    ['playstation-store/graphql_categoryGridRetrieve_products_with-facets_ko-KR_KRW.json', 'KRW'],
  ];
  for (const [file, currency] of grids) {
    for (const p of (json(file).data as { categoryGridRetrieve: { products: { id: string; price?: Record<string, string | null> }[] } }).categoryGridRetrieve.products) {
      for (const k of ['basePrice', 'discountedPrice'] as const) if (p.price?.[k]) out.push({ where: `${file} ${p.id} ${k}`, text: p.price[k]!, currency, amount: undefined });
    }
  }
  const apollo = (json('playstation-store/next_data_deals-page_ko-KR_KRW.json').props as { apolloState: Record<string, { price?: Record<string, string | null> }> }).apolloState;
  for (const [k, v] of Object.entries(apollo)) {
    for (const f of ['basePrice', 'discountedPrice'] as const) if (k.startsWith('Product:') && v.price?.[f]) out.push({ where: `next_data ${k} ${f}`, text: v.price[f]!, currency: 'KRW', amount: undefined });
  }
  // GOG: price.final / price.base beside finalMoney / baseMoney decimal strings.
  for (const p of (json('gog-catalog/catalog_v1_trimmed_3-products_USD.json') as { products: { id: string; price: { final: string; base: string; finalMoney: { amount: string; currency: string }; baseMoney: { amount: string } } }[] }).products) {
    out.push({ where: `gog ${p.id} final`, text: p.price.final, currency: p.price.finalMoney.currency, amount: Math.round(Number(p.price.finalMoney.amount) * 100) });
    out.push({ where: `gog ${p.id} base`, text: p.price.base, currency: p.price.finalMoney.currency, amount: Math.round(Number(p.price.baseMoney.amount) * 100) });
  }
  // Epic: fmtPrice beside discountPrice / originalPrice.
  for (const file of ['epic-freegamespromotions/free_games_one.json', 'epic-freegamespromotions/free_games_us_USD_partial-errors.json']) {
    const elements = (json(file).data as { Catalog: { searchStore: { elements: { id: string; price?: { totalPrice: { discountPrice: number; originalPrice: number; currencyCode: string; fmtPrice: Record<string, string> } } }[] } } }).Catalog.searchStore.elements;
    for (const e of elements) {
      const t = e.price?.totalPrice;
      if (!t) continue;
      out.push({ where: `${file} ${e.id} discount`, text: t.fmtPrice.discountPrice!, currency: t.currencyCode, amount: t.discountPrice });
      out.push({ where: `${file} ${e.id} original`, text: t.fmtPrice.originalPrice!, currency: t.currencyCode, amount: t.originalPrice });
    }
  }
  return out;
}

/** What the shown text must read as: a price, or one of the priceless statuses its words say. */
function check(s: Shown, text = s.text) {
  let parsed;
  try {
    parsed = parsePrice(text, s.currency);
  } catch (err) {
    expect(err, s.where).toBeInstanceOf(PriceParseError);
    expect((err as Error).message, s.where).toContain(JSON.stringify(text));
    return 'refused';
  }
  if (parsed.status === 'available' || parsed.status === 'preorder') {
    expect(parsed.currency, s.where).toBe(s.currency);
    if (s.amount !== undefined) expect(parsed.amount, `${s.where}: ${JSON.stringify(text)}`).toBe(s.amount);
    return 'price';
  }
  if (parsed.status === 'free') {
    // Only a zero, or a word for free: never a price that happens to read as 0.
    if (s.amount !== undefined) expect(s.amount, s.where).toBe(0);
    return 'free';
  }
  // "Included" (a subscription) or "Ei saatavilla" (not available): never a number.
  expect(/\d/.test(text.replace(/\s/g, '')) && s.amount !== 0 && s.amount !== undefined, s.where).toBe(false);
  return parsed.status;
}

describe('money parser on every shown price in the fixtures', () => {
  const shown = shownPrices();

  it('finds the shown prices of every source with shown strings, in both decimal styles and 0-decimal currencies', () => {
    expect(shown.length).toBeGreaterThan(150);
    expect(new Set(shown.map((s) => s.currency))).toEqual(new Set(['USD', 'UAH', 'EUR', 'KRW']));
    expect(shown.some((s) => /\d,\d\d(\D|$)/.test(s.text))).toBe(true); // "19,95"
    expect(shown.some((s) => /\d\.\d\d(\D|$)/.test(s.text))).toBe(true); // "1.49"
    expect(shown.some((s) => /\d \d{3}/.test(s.text))).toBe(true); // "1 799₴"
  });

  it('each parses to the amount its answer states, or is a word the parser knows, or is refused quoting it', () => {
    const outcomes = new Map<string, number>();
    for (const s of shown) {
      const o = check(s);
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    }
    // Real answers are read, not refused wholesale.
    expect(outcomes.get('price')! / shown.length).toBeGreaterThan(0.9);
  });

  it('reads the same with the spacing and no-break spaces a page may put around it', () => {
    const pad = fc.constantFrom('', ' ', '\u00a0', '\n\t', '\u202f');
    fc.assert(
      fc.property(fc.constantFrom(...shown), pad, pad, (s, before, after) => {
        expect(check(s, `${before}${s.text}${after}`)).toBe(check(s));
      }),
      { seed: Number(process.env.FAULT_SEED ?? 20261204), numRuns: 500 },
    );
  });
});
