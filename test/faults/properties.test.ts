// Property-based tests (fast-check): the price parser never reads a wrong number, and staging's change
// detection agrees with a simple in-memory model on random sequences of observations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { CURRENCY_EXPONENT, MAX_AMOUNT, parsePrice, PriceParseError } from '../../src/lib/money.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20261122);
const CODES = Object.keys(CURRENCY_EXPONENT);

/** A price as a store might print it: grouped or not, comma or dot decimals, code before or after. */
function display(amount: number, currency: string, style: { group: '' | ',' | '.' | ' '; code: 'before' | 'after' }): string {
  const exp = CURRENCY_EXPONENT[currency]!;
  const whole = String(Math.floor(amount / 10 ** exp));
  const decimalMark = style.group === ',' || style.group === '' ? '.' : ',';
  const grouped = style.group ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, style.group) : whole;
  const number = exp > 0 ? `${grouped}${decimalMark}${String(amount % 10 ** exp).padStart(exp, '0')}` : grouped;
  return style.code === 'before' ? `${currency} ${number}` : `${number} ${currency}`;
}

const priceArb = fc.record({
  amount: fc.integer({ min: 1, max: MAX_AMOUNT }),
  currency: fc.constantFrom(...CODES),
  style: fc.record({ group: fc.constantFrom('' as const, ',' as const, '.' as const, ' ' as const), code: fc.constantFrom('before' as const, 'after' as const) }),
});

describe(`properties (seed ${SEED})`, () => {
  it('the price parser reads back every amount as stores display it', () => {
    fc.assert(
      fc.property(priceArb, ({ amount, currency, style }) => {
        const text = display(amount, currency, style);
        expect(parsePrice(text, currency), text).toEqual({ status: 'available', amount, currency });
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('a stray separator in a price is an error or the same number, never a different one', () => {
    fc.assert(
      fc.property(priceArb, fc.nat(), fc.constantFrom('.', ',', ' ', "'"), ({ amount, currency, style }, at, sep) => {
        const text = display(amount, currency, style);
        const digits = [...text.matchAll(/\d/g)].map((m) => m.index!);
        const i = digits[at % digits.length]!;
        const mangled = text.slice(0, i) + sep + text.slice(i);
        let read: ReturnType<typeof parsePrice> | undefined;
        try {
          read = parsePrice(mangled, currency);
        } catch (err) {
          expect(err).toBeInstanceOf(PriceParseError);
          return;
        }
        expect(read, `${text} -> ${mangled}`).toEqual({ status: 'available', amount, currency });
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('a sign or parentheses anywhere in a price is refused, never read as the amount', () => {
    fc.assert(
      fc.property(priceArb, fc.nat(), fc.constantFrom('-', '\u2212', '+', '(', ')'), ({ amount, currency, style }, at, sign) => {
        const text = display(amount, currency, style);
        const i = at % (text.length + 1);
        expect(() => parsePrice(text.slice(0, i) + sign + text.slice(i), currency)).toThrow(PriceParseError);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('any text is read as a plausible amount or refused with a message quoting it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.constantFrom(...CODES), (text, currency) => {
        try {
          const r = parsePrice(text, currency);
          if (r.amount !== null) {
            expect(Number.isSafeInteger(r.amount)).toBe(true);
            expect(r.amount).toBeGreaterThanOrEqual(0);
            expect(r.amount).toBeLessThanOrEqual(MAX_AMOUNT);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(PriceParseError);
          expect((err as Error).message).toContain(JSON.stringify(text));
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

// Change detection against a model.
let dir: string;
let database: Database;
let testDb: TestDatabase;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-props-'));
  ({ database, testDb } = await openTestDatabase(dir));
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

interface Observation {
  key: string;
  /** Content that counts. */
  value: number;
  /** A declared volatile field: never makes a version. */
  reviews: number;
  minute: number;
}

interface ModelVersion {
  data: { value: number; reviews: number };
  valid_from: string;
  valid_to: string | null;
  last_seen_at: string;
}

const at = (minute: number) => new Date(Date.UTC(2026, 5, 1) + minute * 60_000).toISOString();

/** Files ingested in order; within a file, by time; an observation no later than what is known is a no-op. */
function model(files: Observation[][]): Map<string, ModelVersion[]> {
  const keys = new Map<string, ModelVersion[]>();
  for (const file of files) {
    for (const o of [...file].sort((a, b) => a.minute - b.minute)) {
      const versions = keys.get(o.key) ?? [];
      keys.set(o.key, versions);
      const current = versions.at(-1);
      if (current && at(o.minute) <= current.last_seen_at) continue;
      if (current && current.data.value === o.value) {
        current.last_seen_at = at(o.minute);
        continue;
      }
      if (current) current.valid_to = at(o.minute);
      versions.push({ data: { value: o.value, reviews: o.reviews }, valid_from: at(o.minute), valid_to: null, last_seen_at: at(o.minute) });
    }
  }
  return keys;
}

const observations = fc
  .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 40 })
  .chain((minutes) =>
    fc.tuple(
      fc.tuple(...minutes.map((minute) => fc.record({ key: fc.constantFrom('k1', 'k2', 'k3'), value: fc.integer({ min: 0, max: 2 }), reviews: fc.nat(5), minute: fc.constant(minute) }))),
      fc.array(fc.nat(), { minLength: 0, maxLength: 3 }),
      fc.boolean(),
    ),
  );

describe(`change detection against a model (seed ${SEED})`, () => {
  let run = 0;
  it('random observations, split into files ingested in random order, land as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(observations, async ([obs, cuts, replay]) => {
        const source = `prop${run++}`;
        // Split the sequence (not sorted by time: files arrive late too) into files.
        const bounds = [...new Set(cuts.map((c) => c % obs.length))].sort((a, b) => a - b);
        const files: Observation[][] = [];
        let from = 0;
        for (const b of [...bounds, obs.length]) {
          if (b > from) files.push(obs.slice(from, b));
          from = b;
        }
        const rawDir = path.join(dir, 'raw');
        const written = files.map((f) =>
          writeRawFile(rawDir, source, f.map((o) => ({ key: `${source}:${o.key}`, at: at(o.minute), data: { value: o.value, reviews: o.reviews }, volatile: ['reviews'] }))),
        );
        // Replaying any file afterwards changes nothing.
        for (const file of [...written, ...(replay ? [written[0]!] : [])]) {
          await ingestFile({ pool: database.pool, rawDir, file, replay: true, spiders: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
        }
        const { rows } = await database.pool.query<{ key: string; data: ModelVersion['data']; valid_from: Date; valid_to: Date | null; last_seen_at: Date }>(
          'SELECT key, data, valid_from, valid_to, last_seen_at FROM staging.version_history WHERE source = $1 ORDER BY key, version',
          [source],
        );
        const actual = new Map<string, ModelVersion[]>();
        for (const r of rows) {
          const key = r.key.slice(source.length + 1);
          actual.set(key, [...(actual.get(key) ?? []), { data: r.data, valid_from: r.valid_from.toISOString(), valid_to: r.valid_to?.toISOString() ?? null, last_seen_at: r.last_seen_at.toISOString() }]);
        }
        expect(actual).toEqual(model(files));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});
