import { describe, expect, it } from 'vitest';
import { parsePrice, PriceParseError } from '../../src/lib/money.ts';

describe('parsePrice', () => {
  it.each([
    ['₩ 21,800', undefined, { status: 'available', amount: 21800, currency: 'KRW' }],
    ['64,800원', undefined, { status: 'available', amount: 64800, currency: 'KRW' }],
    ['€19,95', undefined, { status: 'available', amount: 1995, currency: 'EUR' }],
    ['$39.99 USD', undefined, { status: 'available', amount: 3999, currency: 'USD' }],
    ['1.234,56 €', undefined, { status: 'available', amount: 123456, currency: 'EUR' }],
    ['$1,299.99', 'USD', { status: 'available', amount: 129999, currency: 'USD' }],
    ['$20', 'USD', { status: 'available', amount: 2000, currency: 'USD' }],
    ['1 234,56 €', undefined, { status: 'available', amount: 123456, currency: 'EUR' }],
    ['Free', 'USD', { status: 'free', amount: 0, currency: 'USD' }],
    ['Ei saatavilla', 'EUR', { status: 'unavailable', amount: null, currency: 'EUR' }],
    ['Included with Game Pass', 'USD', { status: 'subscription', amount: null, currency: 'USD' }],
    ['Pre-order $59.99', undefined, { status: 'preorder', amount: 5999, currency: 'USD' }],
  ] as const)('reads %s', (text, currency, expected) => {
    expect(parsePrice(text, currency)).toEqual(expected);
  });

  it.each([
    ['abc', undefined, 'no currency'],
    ['$1.2.3,4', undefined, 'malformed digit grouping'],
    ['€19,95', 'KRW', 'shows EUR where KRW was expected'],
    ['₩16,350.50', undefined, 'more decimals than the currency has'],
    ['$ 1 2', undefined, 'malformed digit grouping'],
    ['$999999999999', undefined, 'implausibly large'],
  ] as const)('refuses %s, quoting it', (text, currency, why) => {
    expect(() => parsePrice(text, currency)).toThrow(PriceParseError);
    expect(() => parsePrice(text, currency)).toThrow(`cannot read price ${JSON.stringify(text)}: ${why}`);
  });
});
