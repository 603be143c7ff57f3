import { describe, expect, it } from 'vitest';
import { demoCatalogue } from '../../src/spiders/demo-store/demo-catalogue.ts';

describe('demo catalogue', () => {
  const ids = (day: number) => demoCatalogue(day).map((p) => p.id);
  const usd = (day: number, id: string) => demoCatalogue(day).find((p) => p.id === id)!.offers.us.amount;

  it('changes from day to day as the README promises', () => {
    expect(ids(1)).toContain('p07');
    expect(ids(2)).not.toContain('p07');
    expect(ids(1)).not.toContain('p13');
    expect(ids(2)).toContain('p13');
    expect([usd(1, 'p03'), usd(2, 'p03'), usd(3, 'p03')]).toEqual([1999, 1499, 1999]);
    expect(demoCatalogue(1).filter((p) => p.js).map((p) => p.id)).toEqual(['p05']);
    expect(demoCatalogue(2)).toEqual(demoCatalogue(2));
  });

  it('refuses a day that is not a whole number from 1', () => {
    expect(() => demoCatalogue(0)).toThrow(RangeError);
    expect(() => demoCatalogue(1.5)).toThrow(RangeError);
  });
});
