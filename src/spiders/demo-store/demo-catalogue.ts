// The demo store's catalogue as a pure function of the day, so every day's changes are known exactly.
// Day 1 -> 2: p03 goes on sale (and returns to its old price on day 3: A -> B -> A), p05 (rendered by
// JavaScript) goes on sale, p09's EUR price drops, p11 becomes unavailable in the EU, p07 disappears,
// p13 appears, and p02's review count (a volatile field) changes every day without making a version.

export interface DemoOffer {
  /** Minor units; null when not for sale in the region. */
  amount: number | null;
  regular: number | null;
  free?: boolean;
}

export interface DemoProduct {
  id: string;
  title: string;
  /** Rendered by client-side JavaScript: only a browser sees its prices. */
  js: boolean;
  reviews: number;
  offers: { us: DemoOffer; eu: DemoOffer };
}

export const DEMO_REGIONS = { us: 'USD', eu: 'EUR' } as const;
export type DemoRegion = keyof typeof DEMO_REGIONS;

const BASE: { id: string; title: string; usd: number; eur: number; js?: boolean }[] = [
  { id: 'p01', title: 'Starfall Odyssey', usd: 2999, eur: 2799 },
  { id: 'p02', title: 'Harbor Lights', usd: 1499, eur: 1399 },
  { id: 'p03', title: 'Clockwork Garden', usd: 1999, eur: 1899 },
  { id: 'p04', title: 'Iron Tundra', usd: 3999, eur: 3699 },
  { id: 'p05', title: 'Neon Drift', usd: 2999, eur: 2799, js: true },
  { id: 'p06', title: 'Paper Knights', usd: 999, eur: 899 },
  { id: 'p07', title: 'Sunken Bell', usd: 1299, eur: 1199 },
  { id: 'p08', title: 'Quiet Orbit', usd: 2499, eur: 2299 },
  { id: 'p09', title: 'Marrow Keep', usd: 3999, eur: 3999 },
  { id: 'p10', title: 'Lantern Road', usd: 599, eur: 599 },
  { id: 'p11', title: 'Glass Meridian', usd: 4999, eur: 4599 },
  { id: 'p12', title: 'Open Skies', usd: 0, eur: 0 },
  { id: 'p13', title: 'Cinder Valley', usd: 1999, eur: 1799 },
];

function offer(amount: number, regular = amount): DemoOffer {
  return amount === 0 ? { amount: 0, regular: null, free: true } : { amount, regular: regular === amount ? null : regular };
}

/** The products on sale on demo day `day` (1-based), in catalogue order. */
export function demoCatalogue(day: number): DemoProduct[] {
  if (!Number.isInteger(day) || day < 1) throw new RangeError(`demo day must be a whole number >= 1, got ${day}`);
  const even = day % 2 === 0;
  const products: DemoProduct[] = [];
  for (const b of BASE) {
    if (b.id === 'p07' && day > 1) continue;
    if (b.id === 'p13' && day < 2) continue;
    let us = offer(b.usd);
    let eu = offer(b.eur);
    if (b.id === 'p03' && even) [us, eu] = [offer(1499, b.usd), offer(1399, b.eur)];
    if (b.id === 'p05' && day >= 2) [us, eu] = [offer(2499, b.usd), offer(2299, b.eur)];
    if (b.id === 'p09' && day >= 2) eu = offer(2999, b.eur);
    if (b.id === 'p11' && day >= 2) eu = { amount: null, regular: null };
    const reviews = b.id === 'p02' ? 1000 + day * 17 : 250;
    products.push({ id: b.id, title: b.title, js: b.js === true, reviews, offers: { us, eu } });
  }
  return products;
}

/**
 * The demo catalogue with `extra` generated products after it (p100, p101, ...), for crawls big enough
 * to kill mid-way and to benchmark. Their prices vary with the day like a real shop's, a few at a time.
 * With `js` false, no page needs a browser.
 */
export function scaledCatalogue(day: number, extra: number, js = true): DemoProduct[] {
  const products = demoCatalogue(day).map((p) => (js ? p : { ...p, js: false }));
  for (let i = 0; i < extra; i++) {
    const usd = 499 + (i % 50) * 100;
    // One product in 97 is on sale on a given day.
    const sale = (i + day) % 97 === 0;
    products.push({
      id: `p${100 + i}`,
      title: `Generated Game ${100 + i}`,
      js: false,
      reviews: 10 + (i % 500),
      offers: { us: sale ? offer(usd - 200, usd) : offer(usd), eu: offer(usd - 100) },
    });
  }
  return products;
}
