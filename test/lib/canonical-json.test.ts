import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../src/lib/canonical-json.ts';

describe('canonical JSON hash', () => {
  it('ignores key order, Unicode normalisation form and -0', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
    expect(contentHash({ t: 'Pok\u00e9mon', n: 0 })).toBe(contentHash({ n: -0, t: 'Poke\u0301mon' }));
    expect(canonicalJson(1.5e21)).toBe(JSON.stringify(1.5e21));
  });

  it('leaves volatile fields out, and sees every other change', () => {
    const a = { amount: 100, reviews: 5 };
    expect(contentHash(a, ['reviews'])).toBe(contentHash({ amount: 100, reviews: 9 }, ['reviews']));
    expect(contentHash(a, ['reviews'])).not.toBe(contentHash({ amount: 101, reviews: 5 }, ['reviews']));
    expect(contentHash({ a: null })).not.toBe(contentHash({}));
  });

  it('writes every string as JSON.stringify does, escapes and all', () => {
    // Every code unit below 0x80 and a few beyond, alone and inside a plain string.
    const units = [...Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i)), '\u00e9', '\u2028', '\ud83d\ude00', '\ud800'];
    for (const u of units) {
      for (const s of [u, `plain ${u} text`]) expect(canonicalJson(s)).toBe(JSON.stringify(s.normalize('NFC')));
    }
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/non-finite/);
  });

  it('orders every shape by its own names, whatever was seen before', () => {
    // Shapes are remembered by their names joined with NUL: names holding NUL must not be confused.
    expect(canonicalJson({ 'a\u0000': 1, b: 2 })).toBe('{"a\\u0000":1,"b":2}');
    expect(canonicalJson({ a: 1, '\u0000b': 2 })).toBe('{"\\u0000b":2,"a":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    // Two names equal in NFC are one member: the later one counts.
    expect(canonicalJson({ '\u00e9': 1, 'e\u0301': 2 })).toBe('{"\u00e9":2}');
    expect(canonicalJson({ 'e\u0301': 1, '\u00e9': 2 })).toBe('{"\u00e9":2}');
  });
});
