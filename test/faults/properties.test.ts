// Property-based tests (fast-check): the price parser never reads a wrong number, and staging's change
// detection, delisting and sightings agree with simple in-memory models on random sequences.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { CURRENCY_EXPONENT, MAX_AMOUNT, parsePrice, PriceParseError } from '../../src/lib/money.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { keyCounts } from '../helpers/data-state.ts';
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

/** The observations cut into files at the given positions (taken modulo their count). */
function splitAt(obs: Observation[], cuts: number[]): Observation[][] {
  const bounds = [...new Set(cuts.map((c) => c % obs.length))].sort((a, b) => a - b);
  const files: Observation[][] = [];
  let from = 0;
  for (const b of [...bounds, obs.length]) {
    if (b > from) files.push(obs.slice(from, b));
    from = b;
  }
  return files;
}

/** A source's versions per key (without its prefix), as the model describes them. */
async function versionsOf(source: string): Promise<Map<string, ModelVersion[]>> {
  const { rows } = await database.pool.query<{ key: string; data: ModelVersion['data']; valid_from: Date; valid_to: Date | null; last_seen_at: Date }>(
    'SELECT key, data, valid_from, valid_to, last_seen_at FROM staging.version_history WHERE source = $1 ORDER BY key, version',
    [source],
  );
  const actual = new Map<string, ModelVersion[]>();
  for (const r of rows) {
    const key = r.key.slice(source.length + 1);
    actual.set(key, [...(actual.get(key) ?? []), { data: r.data, valid_from: r.valid_from.toISOString(), valid_to: r.valid_to?.toISOString() ?? null, last_seen_at: r.last_seen_at.toISOString() }]);
  }
  return actual;
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
        const files = splitAt(obs, cuts);
        const rawDir = path.join(dir, 'raw');
        const written = files.map((f) =>
          writeRawFile(rawDir, source, f.map((o) => ({ key: `${source}:${o.key}`, at: at(o.minute), data: { value: o.value, reviews: o.reviews }, volatile: ['reviews'] }))),
        );
        // Replaying any file afterwards changes nothing.
        for (const file of [...written, ...(replay ? [written[0]!] : [])]) {
          await ingestFile({ pool: database.pool, rawDir, file, replay: true, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
        }
        const actual = await versionsOf(source);
        expect(actual).toEqual(model(files));
        const counts = await keyCounts(database.pool);
        expect(counts.kept).toEqual(counts.actual);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});

describe(`observations at the same instant (seed ${SEED})`, () => {
  let run = 0;
  // Few minutes, so one key is often observed twice at one instant in one file (records of one page share their time).
  const tied = fc.tuple(
    fc.array(fc.record({ key: fc.constantFrom('k1', 'k2'), value: fc.integer({ min: 0, max: 2 }), reviews: fc.nat(5), minute: fc.integer({ min: 0, max: 6 }) }), { minLength: 2, maxLength: 30 }),
    fc.array(fc.nat(), { minLength: 0, maxLength: 2 }),
  );
  it('two observations of one key at one instant in a file resolve by file order: the later line is the newer', async () => {
    await fc.assert(
      fc.asyncProperty(tied, async ([obs, cuts]) => {
        const source = `tie${run++}`;
        const files = splitAt(obs, cuts);
        const rawDir = path.join(dir, 'raw');
        for (const f of files) {
          const file = writeRawFile(rawDir, source, f.map((o) => ({ key: `${source}:${o.key}`, at: at(o.minute), data: { value: o.value, reviews: o.reviews }, volatile: ['reviews'] })));
          await ingestFile({ pool: database.pool, rawDir, file, replay: true, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
        }
        const actual = await versionsOf(source);
        // The model with rule 6's tie-break: of a key's observations at one instant in a file, the last line counts.
        const lastLineWins = files.map((f) => f.filter((o, i) => !f.slice(i + 1).some((later) => later.key === o.key && later.minute === o.minute)));
        expect(actual).toEqual(model(lastLineWins));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});

/** One crawl of a source's one partition: the keys it found (each once), and whether it was complete. */
interface Crawl {
  complete: boolean;
  found: { key: string; value: number }[];
}

interface CrawlModelVersion extends ModelVersion {
  delisted: boolean;
}

/**
 * Crawls ingested in time order (crawl c's lines at minutes c*100, c*100+1, …). A key seen with its
 * content is last seen at its line, or, by a complete crawl that is not collapsed, at that crawl's last
 * line; such a crawl delists the listed keys it did not find, unless it found fewer than half the
 * records of the last such crawl.
 */
function crawlModel(crawls: Crawl[]): Map<string, CrawlModelVersion[]> {
  const keys = new Map<string, CrawlModelVersion[]>();
  let trusted: number | undefined;
  crawls.forEach((crawl, c) => {
    const lineAt = (i: number) => at(c * 100 + i);
    const end = lineAt(crawl.found.length - 1);
    const collapsed = crawl.complete && trusted !== undefined && crawl.found.length < trusted * 0.5;
    const sighting = crawl.complete && !collapsed;
    crawl.found.forEach((o, i) => {
      const versions = keys.get(o.key) ?? [];
      keys.set(o.key, versions);
      const current = versions.at(-1);
      if (current && !current.delisted && current.data.value === o.value) {
        current.last_seen_at = sighting ? end : lineAt(i);
        return;
      }
      if (current) current.valid_to = lineAt(i);
      versions.push({ data: { value: o.value, reviews: 0 }, delisted: false, valid_from: lineAt(i), valid_to: null, last_seen_at: lineAt(i) });
    });
    if (!sighting) return;
    trusted = crawl.found.length;
    for (const [key, versions] of keys) {
      const current = versions.at(-1)!;
      if (current.delisted || crawl.found.some((o) => o.key === key)) continue;
      current.valid_to = end;
      versions.push({ data: null as never, delisted: true, valid_from: end, valid_to: null, last_seen_at: end });
    }
  });
  return keys;
}

const crawlsArb = fc.array(
  fc.record({
    complete: fc.boolean(),
    found: fc.uniqueArray(fc.record({ key: fc.constantFrom('k1', 'k2', 'k3', 'k4'), value: fc.integer({ min: 0, max: 1 }) }), { selector: (o) => o.key, minLength: 1, maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 6 },
);

describe(`delisting and sightings against a model (seed ${SEED})`, () => {
  let run = 0;
  it('random complete and incomplete crawls, then replays of any of them, land as the model says', async () => {
    await fc.assert(
      fc.asyncProperty(crawlsArb, fc.array(fc.nat(), { maxLength: 3 }), async (crawls, replays) => {
        const source = `crawl${run++}`;
        const rawDir = path.join(dir, 'raw');
        const written = crawls.map((crawl, c) =>
          writeRawFile(rawDir, source, crawl.found.map((o, i) => ({ key: `${source}:${o.key}`, at: at(c * 100 + i), data: { value: o.value, reviews: 0 } })), { complete: crawl.complete }),
        );
        const ingest = (file: string) => ingestFile({ pool: database.pool, rawDir, file, replay: true, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
        for (const file of written) await ingest(file);
        for (const r of replays) expect(await ingest(written[r % written.length]!)).toMatchObject({ newVersions: 0, delisted: 0 });
        const { rows } = await database.pool.query<{ key: string; data: ModelVersion['data'] | null; delisted: boolean; valid_from: Date; valid_to: Date | null; last_seen_at: Date }>(
          'SELECT key, data, delisted, valid_from, valid_to, last_seen_at FROM staging.version_history WHERE source = $1 ORDER BY key, version',
          [source],
        );
        const actual = new Map<string, CrawlModelVersion[]>();
        for (const r of rows) {
          const key = r.key.slice(source.length + 1);
          const v = { data: r.data as never, delisted: r.delisted, valid_from: r.valid_from.toISOString(), valid_to: r.valid_to?.toISOString() ?? null, last_seen_at: r.last_seen_at.toISOString() };
          actual.set(key, [...(actual.get(key) ?? []), v]);
        }
        expect(actual).toEqual(crawlModel(crawls));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });
});

/** A crawl of one partition over a window of its own: windows of different crawls may overlap. */
interface WindowedCrawl {
  complete: boolean;
  start: number;
  /** Keys found, each once, at start + offset minutes (offsets rise). */
  found: { key: string; value: number; offset: number }[];
}

interface ExactVersion {
  data: { value: number; reviews: number } | null;
  delisted: boolean;
  valid_from: string;
  valid_to: string | null;
}

/**
 * Crawls ingested in the given order, each judged on the keys' real observation times: a line no
 * later than its key's last observation is a no-op; a complete crawl delists the listed keys it did
 * not find that were last observed before it started, at its last line. (last_seen_at is left out:
 * for keys a complete crawl saw it is the crawl's end, to the run.)
 */
function exactModel(crawls: WindowedCrawl[]): Map<string, ExactVersion[]> {
  const keys = new Map<string, { versions: ExactVersion[]; seen: number }>();
  for (const crawl of crawls) {
    const end = crawl.start + crawl.found.at(-1)!.offset;
    for (const o of crawl.found) {
      const t = crawl.start + o.offset;
      const k = keys.get(o.key);
      const current = k?.versions.at(-1);
      if (k && t <= k.seen) continue;
      if (k && current && !current.delisted && current.data!.value === o.value) {
        k.seen = t;
        continue;
      }
      if (current) current.valid_to = at(t);
      const versions = k?.versions ?? [];
      versions.push({ data: { value: o.value, reviews: 0 }, delisted: false, valid_from: at(t), valid_to: null });
      keys.set(o.key, { versions, seen: t });
    }
    if (!crawl.complete) continue;
    for (const [key, k] of keys) {
      const current = k.versions.at(-1)!;
      if (current.delisted || crawl.found.some((o) => o.key === key) || k.seen >= crawl.start) continue;
      current.valid_to = at(end);
      k.versions.push({ data: null, delisted: true, valid_from: at(end), valid_to: null });
      k.seen = end;
    }
  }
  return new Map([...keys].map(([key, k]) => [key, k.versions]));
}

const windowedCrawlsArb = fc.array(
  fc.record({
    complete: fc.boolean(),
    start: fc.integer({ min: 0, max: 40 }),
    found: fc
      .uniqueArray(fc.record({ key: fc.constantFrom('k1', 'k2', 'k3', 'k4'), value: fc.integer({ min: 0, max: 1 }) }), { selector: (o) => o.key, minLength: 1, maxLength: 4 })
      .chain((found) => fc.uniqueArray(fc.integer({ min: 0, max: 30 }), { minLength: found.length, maxLength: found.length }).map((offsets) => {
        const sorted = [...offsets].sort((a, b) => a - b);
        return found.map((o, i) => ({ ...o, offset: sorted[i]! }));
      })),
  }),
  { minLength: 1, maxLength: 6 },
);

describe(`overlapping crawls against a model of real observation times (seed ${SEED})`, () => {
  let run = 0;
  it('crawls of one partition whose windows overlap, ingested in any order, land as the real times say', async () => {
    await fc.assert(
      fc.asyncProperty(windowedCrawlsArb, async (crawls) => {
        const source = `overlap${run++}`;
        const rawDir = path.join(dir, 'raw');
        for (const crawl of crawls) {
          const file = writeRawFile(
            rawDir,
            source,
            crawl.found.map((o) => ({ key: `${source}:${o.key}`, at: at(crawl.start + o.offset), data: { value: o.value, reviews: 0 } })),
            { complete: crawl.complete, startedAt: at(crawl.start) },
          );
          // No collapse: a crawl that finds few keys is trusted, so only the windows decide.
          await ingestFile({ pool: database.pool, rawDir, file, replay: true, rules: new Map(), delistMaxMissingShare: 1, log: silentLogger });
        }
        const { rows } = await database.pool.query<{ key: string; data: ExactVersion['data']; delisted: boolean; valid_from: Date; valid_to: Date | null }>(
          'SELECT key, data, delisted, valid_from, valid_to FROM staging.versions WHERE source = $1 ORDER BY key, version',
          [source],
        );
        const actual = new Map<string, ExactVersion[]>();
        for (const r of rows) {
          const key = r.key.slice(source.length + 1);
          actual.set(key, [...(actual.get(key) ?? []), { data: r.data, delisted: r.delisted, valid_from: r.valid_from.toISOString(), valid_to: r.valid_to?.toISOString() ?? null }]);
        }
        expect(actual).toEqual(exactModel(crawls));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
