// Price strings as stores show them -> integer minor units + ISO 4217 code. Pure; never guesses a number.

/** ISO 4217 exponents of the currencies trawl knows (mirrors core.currencies). */
export const CURRENCY_EXPONENT: Record<string, number> = {
  USD: 2, EUR: 2, GBP: 2, KRW: 0, JPY: 0, TRY: 2, CAD: 2, AUD: 2, BRL: 2, PLN: 2, CHF: 2, SEK: 2, NOK: 2, DKK: 2,
  CNY: 2, INR: 2, MXN: 2, RUB: 2, UAH: 2, KZT: 2, ARS: 2, CLP: 0, COP: 2, TWD: 2, HKD: 2, SGD: 2, NZD: 2, ZAR: 2,
  IDR: 2, VND: 0, THB: 2, PHP: 2, MYR: 2, ILS: 2, SAR: 2, AED: 2,
};

export type PriceStatus = 'available' | 'free' | 'preorder' | 'unavailable' | 'subscription';

export type ParsedPrice =
  | { status: 'available' | 'preorder'; amount: number; currency: string }
  | { status: 'free'; amount: 0; currency: string | undefined }
  | { status: 'unavailable' | 'subscription'; amount: null; currency: string | undefined };

export class PriceParseError extends Error {
  constructor(readonly text: string, reason: string) {
    super(`cannot read price ${JSON.stringify(text)}: ${reason}`);
    this.name = 'PriceParseError';
  }
}

/** No plausible retail price reaches this many minor units; anything above is a parse or source error. */
export const MAX_AMOUNT = 100_000_000_000;

const SYMBOLS: [RegExp, string][] = [
  [/US\$/, 'USD'], [/CA?\$/, 'CAD'], [/A\$/, 'AUD'], [/R\$/, 'BRL'], [/HK\$/, 'HKD'], [/NZ\$/, 'NZD'], [/S\$/, 'SGD'],
  [/€/, 'EUR'], [/£/, 'GBP'], [/₩|원/, 'KRW'], [/¥|円/, 'JPY'], [/₺|\bTL\b/, 'TRY'], [/zł/, 'PLN'], [/₹/, 'INR'],
  [/₽/, 'RUB'], [/₴/, 'UAH'], [/₸/, 'KZT'], [/฿/, 'THB'], [/₱/, 'PHP'], [/₫/, 'VND'], [/₪/, 'ILS'], [/\$/, 'USD'],
];

const FREE = /^(free|free to play|free-to-play|무료|ilmainen|kostenlos|gratuit|gratis|0[.,]?0*)$/i;
const UNAVAILABLE = /^(ei saatavilla|not available|unavailable|구매 불가|nicht verfügbar|n\/a|—|-)$/i;
const SUBSCRIPTION = /(included|game pass|ps plus|playstation plus|ea play|ubisoft\+|포함|sisältyy)/i;
const PREORDER = /(pre-?order|사전 ?구매|ennakkotilaa)/i;

/**
 * Reads a displayed price. `currency` is the currency the context implies (a country's store) and is
 * used when the text has no symbol or code; a symbol in the text must agree with it.
 */
export function parsePrice(text: string, currency?: string): ParsedPrice {
  const clean = text.replace(/[\u00a0\u202f\s]+/g, ' ').trim();
  if (clean === '') throw new PriceParseError(text, 'empty');
  if (UNAVAILABLE.test(clean)) return { status: 'unavailable', amount: null, currency };
  if (SUBSCRIPTION.test(clean)) return { status: 'subscription', amount: null, currency };
  if (FREE.test(clean)) return { status: 'free', amount: 0, currency };
  const preorder = PREORDER.test(clean);
  const withoutWords = preorder ? clean.replace(PREORDER, '').trim() : clean;

  // A sign or accounting parentheses: a refund, a discount amount or a range, never a price to read as positive.
  if (/[-−+()]/.test(withoutWords)) throw new PriceParseError(text, 'a sign, parentheses or a range: not a single price');
  const code = /\b([A-Z]{3})\b/.exec(withoutWords)?.[1];
  const symbol = SYMBOLS.find(([re]) => re.test(withoutWords))?.[1];
  const shown = code && CURRENCY_EXPONENT[code] !== undefined ? code : symbol;
  if (shown && currency && shown !== currency && !(symbol === 'USD' && shown !== code)) {
    // "$" alone is shared by many dollars; only a definite mismatch is an error.
    throw new PriceParseError(text, `shows ${shown} where ${currency} was expected`);
  }
  const resolved = currency ?? shown;
  if (!resolved) throw new PriceParseError(text, 'no currency');
  const exponent = CURRENCY_EXPONENT[resolved];
  if (exponent === undefined) throw new PriceParseError(text, `unknown currency ${resolved}`);

  const numbers = withoutWords.match(/\d[\d.,' ]*\d|\d/g);
  if (!numbers || numbers.length !== 1) throw new PriceParseError(text, numbers ? 'more than one number' : 'no number');
  const amount = parseAmount(numbers[0]!, exponent, text);
  if (amount > MAX_AMOUNT) throw new PriceParseError(text, 'implausibly large');
  if (amount === 0 && !preorder) return { status: 'free', amount: 0, currency: resolved };
  return { status: preorder ? 'preorder' : 'available', amount, currency: resolved };
}

/** "1.234,56" / "1,234.56" / "1 234,56" / "21,800" / "19,95" -> minor units, given the currency's exponent. */
function parseAmount(digits: string, exponent: number, text: string): number {
  const seps = digits.match(/[.,' ]/g) ?? [];
  const last = seps.at(-1);
  let whole = digits;
  let fraction = '';
  if (last !== undefined) {
    const at = digits.lastIndexOf(last);
    const tail = digits.slice(at + 1);
    const mixed = new Set(seps).size > 1;
    // With two kinds of separator the last one marks decimals; with one kind used once, a group of
    // exactly three digits is thousands ("21,800") and anything else is decimals ("19,95").
    const isDecimal = last !== "'" && last !== ' ' && (mixed || (seps.length === 1 && tail.length !== 3));
    if (isDecimal) {
      whole = digits.slice(0, at);
      fraction = tail;
    }
  }
  // Thousands groups: a first group of one to three digits that does not start with 0 ("0.001" is no thousand).
  if (/[.,' ]/.test(whole) && !/^[1-9]\d{0,2}([.,' ]\d{3})+$/.test(whole)) throw new PriceParseError(text, 'malformed digit grouping');
  whole = whole.replace(/[.,' ]/g, '');
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(fraction)) throw new PriceParseError(text, 'malformed number');
  if (fraction.length > exponent) {
    if (/[1-9]/.test(fraction.slice(exponent))) throw new PriceParseError(text, `more decimals than the currency has (${exponent})`);
    fraction = fraction.slice(0, exponent);
  }
  return Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
}

/** An API's decimal string ("1.49") in minor units of its currency; a malformed one throws, quoting it. */
export function decimalToMinor(amount: string, currency: string): number {
  const exponent = CURRENCY_EXPONENT[currency];
  if (exponent === undefined) throw new PriceParseError(amount, `unknown currency ${currency}`);
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) throw new PriceParseError(amount, 'not a decimal amount');
  const fraction = m[2] ?? '';
  if (fraction.length > exponent && /[1-9]/.test(fraction.slice(exponent))) throw new PriceParseError(amount, 'more decimals than the currency has');
  const value = Number(m[1]) * 10 ** exponent + Number(fraction.slice(0, exponent).padEnd(exponent, '0') || '0');
  if (value > MAX_AMOUNT) throw new PriceParseError(amount, 'implausibly large');
  return value;
}

/** Formats minor units for people (logs, the demo store's pages). */
export function formatAmount(amount: number, currency: string): string {
  const exponent = CURRENCY_EXPONENT[currency] ?? 2;
  return (amount / 10 ** exponent).toFixed(exponent);
}
