// The staging semantics of DESIGN.md, each against real Postgres.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import pino from 'pino';
import { spiderRules } from '../helpers/spider-rules.ts';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/logger.ts';
import { lockSourcesForWrite } from '../../src/db/locks.ts';
import { sqlQuery } from '../../src/db/sql-file.ts';
import { BatchKeys } from '../../src/staging/batch-keys.ts';
import { applyIncoming, nextApplySeq } from '../../src/staging/change-detection.ts';
import { COPY_INCOMING, payloadRow, toIncomingRow } from '../../src/staging/incoming-row.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { runIngest } from '../../src/staging/run-ingest.ts';
import { freshDatabaseEachTest } from '../helpers/test-database.ts';
import { keyCounts } from '../helpers/data-state.ts';
import { writeRawFile, type Obs } from '../helpers/raw-files.ts';

const fresh = freshDatabaseEachTest('ingest');

const T = (day: number, hour = 6) => new Date(Date.UTC(2026, 0, day, hour)).toISOString();
const price = (amount: number, extra: Record<string, unknown> = {}) => ({ amount, currency: 'USD', ...extra });

async function ingest(file: string, replay = false) {
  return ingestFile({ pool: fresh.database.pool, rawDir: fresh.rawDir, file, replay, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
}

async function versions(key?: string) {
  const { rows } = await fresh.database.pool.query(
    `SELECT key, version, delisted, data, valid_from, valid_to, last_seen_at, raw_line
     FROM staging.version_history WHERE $1::text IS NULL OR key = $1 ORDER BY key, version`,
    [key ?? null],
  );
  return rows as { key: string; version: number; delisted: boolean; data: Record<string, unknown> | null; valid_from: Date; valid_to: Date | null; last_seen_at: Date; raw_line: number }[];
}

function file(obs: Obs[], complete?: boolean) {
  return writeRawFile(fresh.rawDir, 'shop', obs, complete === undefined ? undefined : { complete });
}

describe('staging semantics', () => {
  it('1. lands a new key as version 1, observed_at from the raw line', async () => {
    const r = await ingest(file([{ key: 'a', at: T(1), data: price(100) }]));
    expect(r.newVersions).toBe(1);
    const [v] = await versions('a');
    expect(v).toMatchObject({ version: 1, delisted: false, valid_to: null, data: price(100) });
    expect(v!.valid_from.toISOString()).toBe(T(1));
    expect(v!.raw_line).toBe(2); // line 1 is the run's start line
  });

  it('2. the same content again lands no version and moves last_seen_at', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(100) }]));
    const r = await ingest(file([{ key: 'a', at: T(2), data: { currency: 'USD', amount: 100 } }]));
    expect(r).toMatchObject({ newVersions: 0, unchanged: 1 });
    const vs = await versions('a');
    expect(vs).toHaveLength(1);
    expect(vs[0]!.last_seen_at.toISOString()).toBe(T(2));
    expect(vs[0]!.valid_from.toISOString()).toBe(T(1));
  });

  it('3. changed content lands a new version and closes the previous one', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(100) }]));
    await ingest(file([{ key: 'a', at: T(2), data: price(80) }]));
    const vs = await versions('a');
    expect(vs.map((v) => [v.version, v.data?.amount, v.valid_to?.toISOString() ?? null])).toEqual([
      [1, 100, T(2)],
      [2, 80, null],
    ]);
  });

  it('4. A -> B -> A is three versions', async () => {
    for (const [day, amount] of [[1, 100], [2, 80], [3, 100]] as const) await ingest(file([{ key: 'a', at: T(day), data: price(amount) }]));
    expect((await versions('a')).map((v) => v.data?.amount)).toEqual([100, 80, 100]);
  });

  it('5. re-ingesting any file, any number of times, in any order after later files, changes nothing', async () => {
    const f1 = file([{ key: 'a', at: T(1), data: price(100) }, { key: 'b', at: T(1), data: price(5) }], true);
    const f2 = file([{ key: 'a', at: T(2), data: price(80) }, { key: 'c', at: T(2), data: price(7) }], true);
    const f3 = file([{ key: 'a', at: T(3), data: price(100) }, { key: 'c', at: T(3), data: price(7) }], true);
    for (const f of [f1, f2, f3]) await ingest(f);
    const before = await versions();
    expect(before.filter((v) => v.key === 'b').map((v) => v.delisted)).toEqual([false, true]);
    for (const f of [f2, f1, f3, f1, f2]) {
      const r = await ingest(f, true);
      expect(r.newVersions + r.delisted).toBe(0);
    }
    // Without --replay the ledger skips files already read to their end.
    expect((await ingest(f1)).skipped).toBe(true);
    expect(await versions()).toEqual(before);
  });

  it('6. several observations of one key in one batch apply in observed_at order', async () => {
    // Lines out of time order in the file: 80 at T3, 100 at T1, 90 at T2, 90 at T4.
    await ingest(file([
      { key: 'a', at: T(3), data: price(80) },
      { key: 'a', at: T(1), data: price(100) },
      { key: 'a', at: T(2), data: price(90) },
      { key: 'a', at: T(4), data: price(80) },
    ]));
    const vs = await versions('a');
    expect(vs.map((v) => [v.data?.amount, v.valid_from.toISOString(), v.last_seen_at.toISOString()])).toEqual([
      [100, T(1), T(1)],
      [90, T(2), T(2)],
      [80, T(3), T(4)],
    ]);
  });

  it('7. a key missing from a complete crawl is delisted, and seen again gets a new version', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(1) }, { key: 'b', at: T(1), data: price(2) }], true));
    const r = await ingest(file([{ key: 'a', at: T(2), data: price(1) }], true));
    expect(r.delisted).toBe(1);
    await ingest(file([{ key: 'a', at: T(3), data: price(1) }, { key: 'b', at: T(3), data: price(2) }], true));
    expect((await versions('b')).map((v) => [v.version, v.delisted, v.valid_from.toISOString()])).toEqual([
      [1, false, T(1)],
      [2, true, T(2)],
      [3, false, T(3)],
    ]);
  });

  it('7. an incomplete crawl delists nothing', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(1) }, { key: 'b', at: T(1), data: price(2) }], true));
    const r = await ingest(file([{ key: 'a', at: T(2), data: price(1) }], false));
    expect(r.delisted).toBe(0);
  });

  it('7. delisting works per partition', async () => {
    await ingest(file([{ key: 'us1', at: T(1), data: price(1), partition: 'us' }, { key: 'kr1', at: T(1), data: price(2), partition: 'kr' }], true));
    const r = await ingest(file([{ key: 'us2', at: T(2), data: price(3), partition: 'us' }], true));
    expect(r.delisted).toBe(1);
    expect((await versions('kr1')).map((v) => v.delisted)).toEqual([false]);
    expect((await versions('us1')).map((v) => v.delisted)).toEqual([false, true]);
  });

  it('7. one crawl of several partitions delists in each of them, and not in a collapsed one', async () => {
    const obs = (day: number, keys: string[]) => keys.map((key) => ({ key, at: T(day), data: price(1), partition: key.slice(0, 2) }));
    const de = Array.from({ length: 6 }, (_, i) => `de${i}`);
    await ingest(file(obs(1, ['us1', 'us2', 'kr1', 'kr2', ...de]), true));
    // us and kr each lose a key; de keeps 2 of 6 (collapsed: nothing delisted there).
    const r = await ingest(file(obs(2, ['us1', 'kr2', 'de0', 'de1']), true));
    expect(r).toMatchObject({ delisted: 2, collapsed: ['de'] });
    const { rows } = await fresh.database.pool.query('SELECT key FROM staging.key_state WHERE delisted ORDER BY key');
    expect(rows.map((x) => x.key)).toEqual(['kr1', 'us2']);
  });

  it('7. a crawl whose record count collapses delists nothing and is reported', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await ingest(file(keys.map((key) => ({ key, at: T(1), data: price(1) })), true));
    const r = await ingest(file(keys.slice(0, 4).map((key) => ({ key, at: T(2), data: price(1) })), true));
    expect(r).toMatchObject({ delisted: 0, collapsed: ['all'] });
    // The collapsed crawl is not the baseline for the next one: 6 of 10 missing is still a collapse.
    const r2 = await ingest(file(keys.slice(0, 4).map((key) => ({ key, at: T(3), data: price(1) })), true));
    expect(r2.collapsed).toEqual(['all']);
  });

  it('8. declared volatile fields never make a version', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(1, { reviews: 10 }), volatile: ['reviews'] }]));
    const r = await ingest(file([{ key: 'a', at: T(2), data: price(1, { reviews: 11 }), volatile: ['reviews'] }]));
    expect(r.newVersions).toBe(0);
    expect(await versions('a')).toHaveLength(1);
  });

  it.each([false, true])('8. each version keeps its own line\'s volatile list, lists changing line by line (first crawl: %s)', async (first) => {
    const lists = [['reviews'], ['reviews'], ['rank', 'reviews'], [], ['rank'], ['reviews']];
    if (!first) await ingest(file([{ key: 'seed', at: T(1), data: price(1) }]));
    await ingest(file(lists.map((volatile, i) => ({ key: `v${i}`, at: T(2), data: price(i), volatile }))));
    const { rows } = await fresh.database.pool.query<{ key: string; volatile: string[] | null }>(
      "SELECT key, volatile FROM staging.versions WHERE key LIKE 'v%' ORDER BY key",
    );
    expect(rows.map((x) => x.volatile ?? [])).toEqual(lists);
  });

  it('9. an invalid record goes to quarantine with reason, file, line and run id, and the rest lands', async () => {
    const f = file([
      { key: 'a', at: T(1), data: price(1) },
      { key: 'b', at: T(1), data: { amount: 'x' }, invalid: 'amount: expected number' },
    ], true);
    fs.appendFileSync(f, '{"not json\n');
    const r = await ingest(f);
    expect(r).toMatchObject({ newVersions: 1, quarantined: 2 });
    const { rows } = await fresh.database.pool.query(
      `SELECT q.raw_line, q.reason, q.key, q.run_id, f.path FROM staging.quarantine q JOIN staging.raw_files f ON f.id = q.raw_file_id ORDER BY raw_line`,
    );
    expect(rows[0]).toMatchObject({ raw_line: 3, reason: 'amount: expected number', key: 'b', path: path.relative(fresh.rawDir, f) });
    expect(rows[0].run_id).toMatch(/Z-t\d+$/);
    expect(rows[1]).toMatchObject({ raw_line: 5, key: null });
    expect(rows[1].reason).toMatch(/^invalid JSON/);
  });

  it.each([
    ['a new source', false],
    ['a source with known keys (staged without data)', true],
  ])('9. text Postgres cannot hold (NUL, an unpaired surrogate) is quarantined, and the rest lands: %s', async (_, known) => {
    if (known) await ingest(file([{ key: 'other', at: T(1), data: price(1) }]));
    const r = await ingest(
      file([
        { key: 'nul', at: T(2), data: price(1, { title: 'a\u0000b' }) },
        { key: 'lone', at: T(2), data: price(1, { title: 'a\ud800b' }) },
        { key: 'pair', at: T(2), data: price(1, { title: 'a\ud83d\ude00b' }) },
      ]),
    );
    expect(r).toMatchObject({ newVersions: 1, quarantined: 2 });
    const { rows } = await fresh.database.pool.query('SELECT key, reason FROM staging.quarantine ORDER BY key');
    expect(rows).toEqual([
      { key: 'lone', reason: 'record contains an unpaired UTF-16 surrogate' },
      { key: 'nul', reason: 'record contains a NUL character' },
    ]);
    expect((await versions('pair'))[0]!.data!.title).toBe('a\ud83d\ude00b');
  });

  it('9. a key whose record a complete crawl saw but could not validate is not delisted', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(1) }, { key: 'b', at: T(1), data: price(2) }], true));
    const r = await ingest(file([{ key: 'a', at: T(2), data: price(1) }, { key: 'b', at: T(2), data: null, invalid: 'price: unreadable' }], true));
    expect(r).toMatchObject({ delisted: 0, quarantined: 1 });
  });

  it('9. nor is one whose record an earlier part of a resumed file could not validate', async () => {
    await ingest(file(['a', 'b', 'c'].map((key) => ({ key, at: T(1), data: price(1) })), true));
    const f = file([{ key: 'a', at: T(2), data: price(1) }, { key: 'b', at: T(2), data: null, invalid: 'price: unreadable' }, { key: 'c', at: T(2), data: price(1) }], true);
    const whole = fs.readFileSync(f, 'utf8');
    const lines = whole.split('\n');
    // The crawl was ingested while it ran, up to b's line; then it finished.
    fs.writeFileSync(f, `${lines.slice(0, 3).join('\n')}\n`);
    expect(await ingest(f)).toMatchObject({ quarantined: 1, delisted: 0 });
    fs.writeFileSync(f, whole);
    expect(await ingest(f)).toMatchObject({ lines: 2, quarantined: 0, delisted: 0 });
    expect((await versions()).filter((v) => v.delisted)).toEqual([]);
  });

  it('a complete crawl writes no row for its unchanged keys: they are last seen with its partition', async () => {
    const seen = async () => Object.fromEntries((await versions()).filter((v) => v.valid_to === null).map((v) => [v.key, v.last_seen_at.toISOString()]));
    const rows = async () => (await fresh.database.pool.query('SELECT key, last_seen_at, written_seq FROM staging.key_state ORDER BY key')).rows;
    await ingest(file(['a', 'b', 'c'].map((key) => ({ key, at: T(1), data: price(1) })), true));
    const before = await rows();
    // a and c unchanged, b changed, d new; the crawl's last observation in the partition is at 07:00.
    await ingest(file([
      { key: 'a', at: T(2, 5), data: price(1) },
      { key: 'b', at: T(2, 6), data: price(2) },
      { key: 'd', at: T(2, 6), data: price(4) },
      { key: 'c', at: T(2, 7), data: price(1) },
    ], true));
    const after = await rows();
    expect(after.filter((r) => r.key === 'a' || r.key === 'c')).toEqual(before.filter((r) => r.key === 'a' || r.key === 'c'));
    expect(await seen()).toEqual({ a: T(2, 7), b: T(2, 6), c: T(2, 7), d: T(2, 6) });
    // An incomplete crawl proves nothing about keys it did not see: its sightings are written per key.
    await ingest(file([{ key: 'a', at: T(3), data: price(1) }], false));
    expect(await seen()).toEqual({ a: T(3), b: T(2, 6), c: T(2, 7), d: T(2, 6) });
    // The next complete crawl delists what it missed, from the partition's sighting.
    const r = await ingest(file([{ key: 'a', at: T(4), data: price(1) }, { key: 'b', at: T(4), data: price(2) }, { key: 'd', at: T(4), data: price(4) }], true));
    expect(r.delisted).toBe(1);
    expect(await seen()).toEqual({ a: T(4), b: T(4), c: T(4), d: T(4) });
    expect((await versions('c')).map((v) => [v.delisted, v.last_seen_at.toISOString()])).toEqual([[false, T(2, 7)], [true, T(4)]]);
  });

  it("a partition's sighting is its crawl's last valid observation there, to the microsecond, on either path", async () => {
    const sighting = async () =>
      (await fresh.database.pool.query("SELECT to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t FROM staging.partition_sightings")).rows.map((r) => r.t);
    const crawl = (day: number, times: string[]) =>
      file([
        ...times.map((at, i) => ({ key: `k${i}`, at, data: price(1) })),
        // A later line that could not be validated is no observation of the partition.
        { key: 'bad', at: T(day, 9), data: null, invalid: 'price: unreadable' },
      ]);
    const complete = (f: string, day: number) => {
      // The trailer's finish is later still: the sighting is the last valid observation, not the finish.
      const lines = fs.readFileSync(f, 'utf8').trim().split('\n');
      const partitions = { all: lines.length - 2 };
      fs.appendFileSync(f, `${JSON.stringify({ control: 'end', run_id: JSON.parse(lines[0]!).run_id, source: 'shop', started_at: T(day, 5), finished_at: T(day, 10), complete: true, partitions, pages: 1, records: partitions.all, invalid: 1, failed_requests: 0, budget_cut: false })}\n`);
      return f;
    };
    // A first crawl (landed as read): two times in one millisecond, and one in another notation.
    await ingest(complete(crawl(1, ['2026-01-01T06:00:00.000400Z', '2026-01-01T06:00:00.000700Z', '2026-01-01T08:00:00.000+02:00']), 1));
    expect(await sighting()).toEqual(['2026-01-01 06:00:00.000700']);
    // A known source's file.
    await ingest(complete(crawl(2, ['2026-01-02T06:00:00.000900Z', '2026-01-02T06:00:00.000100Z', '2026-01-02T06:00:00Z']), 2));
    expect(await sighting()).toEqual(['2026-01-02 06:00:00.000900']);
  });

  it('a small file of a large source finds its keys by index, with the same outcome', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await ingest(file(keys.map((key) => ({ key, at: T(1), data: price(1) })), true));
    // Two lines against 40 keys: probing the index beats hashing the source's key states.
    const r = await ingest(file([{ key: 'k3', at: T(2), data: price(2) }, { key: 'k7', at: T(2), data: price(1) }]));
    expect(r).toMatchObject({ newVersions: 1, unchanged: 1 });
    expect((await versions('k3')).map((v) => [v.data?.amount, v.last_seen_at.toISOString()])).toEqual([[1, T(1)], [2, T(2)]]);
    expect((await versions('k7')).map((v) => v.last_seen_at.toISOString())).toEqual([T(2)]);
  });

  it('a small complete crawl of a large source delists by index too, sparing what it quarantined', async () => {
    const big = Array.from({ length: 40 }, (_, i) => ({ key: `big${i}`, at: T(1), data: price(1), partition: 'big' }));
    const small = ['s1', 's2', 's3', 's4'].map((key) => ({ key, at: T(1), data: price(1), partition: 'small' }));
    await ingest(file([...big, ...small], true));
    // Three lines against 44 keys: found by index; the delisting candidates are looked for apart.
    const r = await ingest(file([
      { key: 's1', at: T(2), data: price(1), partition: 'small' },
      { key: 's2', at: T(2), data: null, partition: 'small', invalid: 'price: unreadable' },
      { key: 's3', at: T(2), data: price(2), partition: 'small' },
    ], true));
    expect(r).toMatchObject({ newVersions: 1, unchanged: 1, quarantined: 1, delisted: 1 });
    const { rows } = await fresh.database.pool.query('SELECT key FROM staging.key_state WHERE delisted ORDER BY key');
    expect(rows.map((x) => x.key)).toEqual(['s4']);
  });

  it('an older complete crawl ingested late delists nothing seen since and moves no sighting back', async () => {
    const day = (d: number, keys: string[]) => file(keys.map((key) => ({ key, at: T(d), data: price(1) })), true);
    const d1 = day(1, ['a', 'b']);
    const d2 = day(2, ['a']);
    const d3 = day(3, ['a', 'b']);
    await ingest(d1);
    await ingest(d3);
    const before = await versions();
    const r = await ingest(d2);
    expect(r).toMatchObject({ newVersions: 0, delisted: 0 });
    expect(await versions()).toEqual(before);
    expect(before.map((v) => [v.key, v.last_seen_at.toISOString()])).toEqual([['a', T(3)], ['b', T(3)]]);
    // An observation older than the last sighting of its key is already reflected, changed or not.
    expect((await ingest(file([{ key: 'b', at: T(2, 12), data: price(9) }]))).newVersions).toBe(0);
  });

  describe('crawls of one partition whose windows overlap', () => {
    /** A logger that keeps its warnings' messages. */
    const warningLog = () => {
      const warnings: string[] = [];
      return { warnings, log: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) }) };
    };
    const at = (h: number, m = 0, s = 0) => new Date(Date.UTC(2026, 0, 2, h, m, s)).toISOString();
    const crawl = (obs: Obs[], end: { complete: boolean; startedAt: string; finishedAt?: string }) => writeRawFile(fresh.rawDir, 'shop', obs, end);
    const history = async (key: string) =>
      (await versions(key)).map((v) => ({ amount: (v.data as { amount?: number } | null)?.amount ?? null, delisted: v.delisted, from: v.valid_from.toISOString(), to: v.valid_to?.toISOString() ?? null }));
    // The day before: k and j at 100, seen by a complete crawl.
    const dayBefore = () => crawl([{ key: 'k', at: T(1), data: price(100) }, { key: 'j', at: T(1), data: price(100) }], { complete: true, startedAt: T(1) });

    it("a change another crawl saw inside a complete crawl's window is a version, not old news", async () => {
      await ingest(dayBefore());
      // A complete crawl 06:00-10:00 sees k unchanged at 06:00:01 and j at 10:00.
      await ingest(crawl([{ key: 'k', at: at(6, 0, 1), data: price(100) }, { key: 'j', at: at(10), data: price(100) }], { complete: true, startedAt: at(6) }));
      // A crawl started at 08:00 sees k at a new price at 08:05.
      const r = await ingest(crawl([{ key: 'k', at: at(8, 5), data: price(80) }], { complete: false, startedAt: at(8) }));
      expect(r.newVersions).toBe(1);
      expect(await history('k')).toEqual([
        { amount: 100, delisted: false, from: T(1), to: at(8, 5) },
        { amount: 80, delisted: false, from: at(8, 5), to: null },
      ]);
      // The sighting crawl's own times now stand in the keys' rows: j was seen at 10:00.
      const { rows } = await fresh.database.pool.query("SELECT key, last_seen_at FROM staging.key_state WHERE source = 'shop' ORDER BY key");
      expect(rows.map((x) => [x.key, x.last_seen_at.toISOString()])).toEqual([['j', at(10)], ['k', at(8, 5)]]);
    });

    it('a complete crawl that started after a key was really last seen delists it, though the other crawl ended later', async () => {
      await ingest(dayBefore());
      await ingest(crawl([{ key: 'k', at: at(6, 0, 1), data: price(100) }, { key: 'j', at: at(10), data: price(100) }], { complete: true, startedAt: at(6) }));
      // A second complete crawl 07:00-07:10 does not find k: last seen at 06:00:01, before it started.
      const r = await ingest(crawl([{ key: 'j', at: at(7, 10), data: price(100) }], { complete: true, startedAt: at(7) }));
      expect(r.delisted).toBe(1);
      expect((await history('k')).at(-1)).toEqual({ amount: null, delisted: true, from: at(7, 10), to: null });
    });

    it('never delists a key the other crawl saw after it started', async () => {
      await ingest(dayBefore());
      await ingest(crawl([{ key: 'j', at: at(6, 0, 1), data: price(100) }, { key: 'k', at: at(9), data: price(100) }], { complete: true, startedAt: at(6) }));
      const r = await ingest(crawl([{ key: 'j', at: at(7, 10), data: price(100) }], { complete: true, startedAt: at(7) }));
      expect(r.delisted).toBe(0);
      expect(await history('k')).toEqual([{ amount: 100, delisted: false, from: T(1), to: null }]);
    });

    it("when the other crawl's raw file is gone, compares against its end as before and says so", async () => {
      await ingest(dayBefore());
      const sighting = crawl([{ key: 'k', at: at(6, 0, 1), data: price(100) }, { key: 'j', at: at(10), data: price(100) }], { complete: true, startedAt: at(6) });
      await ingest(sighting);
      fs.rmSync(sighting);
      const { log, warnings } = warningLog();
      const late = crawl([{ key: 'k', at: at(8, 5), data: price(80) }], { complete: false, startedAt: at(8) });
      const r = await ingestFile({ pool: fresh.database.pool, rawDir: fresh.rawDir, file: late, rules: new Map(), delistMaxMissingShare: 0.5, log });
      expect(r.newVersions).toBe(0);
      expect(warnings).toEqual([expect.stringContaining('cannot be read again')]);
    });

    it('a daily crawl after the last one reads no earlier raw file again', async () => {
      await ingest(dayBefore());
      const d2 = crawl([{ key: 'k', at: T(2), data: price(100) }, { key: 'j', at: T(2), data: price(100) }], { complete: true, startedAt: T(2) });
      await ingest(d2);
      // Day 2's file gone: a day 3 crawl must not need it.
      fs.rmSync(d2);
      const { log, warnings } = warningLog();
      const d3 = crawl([{ key: 'k', at: T(3), data: price(90) }], { complete: true, startedAt: T(3) });
      const r = await ingestFile({ pool: fresh.database.pool, rawDir: fresh.rawDir, file: d3, rules: new Map(), delistMaxMissingShare: 0.5, log });
      expect(r).toMatchObject({ newVersions: 1, delisted: 1 });
      expect(warnings).toEqual([]);
    });
  });

  it('reads a file left by a crash up to its last whole line, and continues it when it grows', async () => {
    const f = file([{ key: 'a', at: T(1), data: price(1) }]);
    fs.appendFileSync(f, '{"source":"shop","entity":"offer","key":"b","observed_at":"2026-01-01T06:00:00.000Z","data":{"amo');
    const r1 = await ingest(f);
    expect(r1).toMatchObject({ newVersions: 1, quarantined: 0 });
    fs.appendFileSync(f, 'unt":2}}\n');
    const r2 = await ingest(f);
    expect(r2).toMatchObject({ newVersions: 1, lines: 1 });
    expect((await versions()).map((v) => v.key)).toEqual(['a', 'b']);
  });

  it('two concurrent ingests of overlapping files land each version once', async () => {
    const obs = (day: number) => Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, at: T(day), data: price(i % 7 === 0 ? day : 1) }));
    const files = [file(obs(1)), file(obs(2)), file(obs(3))];
    const copies = files.map((f) => {
      const copy = f.replace(/\.jsonl$/, '-copy.jsonl');
      fs.copyFileSync(f, copy);
      return copy;
    });
    await Promise.all([
      runIngest({ database: fresh.database, rawDir: fresh.rawDir, log: silentLogger, delistMaxMissingShare: 0.5, rules: await spiderRules(), replay: files }),
      runIngest({ database: fresh.database, rawDir: fresh.rawDir, log: silentLogger, delistMaxMissingShare: 0.5, rules: await spiderRules(), replay: copies }),
    ]);
    const { rows } = await fresh.database.pool.query('SELECT count(*)::int AS n, count(DISTINCT (key, version))::int AS d FROM staging.versions');
    // 200 first versions + keys divisible by 7 change on day 2 and day 3: 29 * 2.
    expect(rows[0]).toEqual({ n: 200 + 29 * 2, d: 200 + 29 * 2 });
    expect((await keyCounts(fresh.database.pool)).kept).toEqual(['shop/offer: 200']);
  });

  it('a file of a known source reads again, in batches, the lines that become versions', async () => {
    const n = 60_001;
    const day = (d: number, amount: (i: number) => number) => file(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, at: T(d), data: price(amount(i), { title: `t${i}` }) })));
    await ingest(day(1, (i) => i));
    // Day 2: every record changed, so all of them come back from the file (more than one FETCH).
    const r = await ingest(day(2, (i) => i + 1));
    expect(r).toMatchObject({ records: n, newVersions: n });
    const { rows } = await fresh.database.pool.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE (data->>'amount')::int = raw_line - 1 AND data->>'title' = 't' || (raw_line - 2))::int AS right
       FROM staging.versions WHERE version = 2`,
    );
    expect(rows[0]).toEqual({ n, right: n });
  });

  it('refuses to take data for a staged line from a line that no longer holds a record', () => {
    expect(() => payloadRow('{"control":"start"}', 7)).toThrow(/line 7 no longer holds the record/);
    expect(payloadRow(JSON.stringify({ source: 's', entity: 'e', key: 'k', observed_at: T(1), data: { a: 'x\\y' } }), 7)).toBe('7\t{"a":"x\\\\\\\\y"}\t\\N\n');
  });

  it('keys whose key_hash collides land exactly as keys that do not', async () => {
    const days = [
      [{ key: 'a', at: T(1), data: price(1) }, { key: 'b', at: T(1), data: price(2) }],
      [{ key: 'a', at: T(2), data: price(1) }, { key: 'b', at: T(2), data: price(3) }, { key: 'c', at: T(2), data: price(4) }],
      [{ key: 'a', at: T(3), data: price(1) }, { key: 'a', at: T(3, 9), data: price(5) }, { key: 'c', at: T(3), data: price(4) }],
    ];
    // The same days under other keys, every line's key_hash forced to one value.
    for (const day of days) {
      await ingest(file(day.map((o) => ({ ...o, key: `plain-${o.key}` }))));
      const f = file(day.map((o) => ({ ...o, key: `forced-${o.key}` })));
      const client = await fresh.database.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: number }>('INSERT INTO staging.raw_files (path) VALUES ($1) RETURNING id', [path.relative(fresh.rawDir, f)]);
        await client.query(sqlQuery('staging/ingest.sql', 'create_incoming'));
        const keys = new BatchKeys();
        const copy = fs.readFileSync(f, 'utf8').trim().split('\n').map((line, i) => toIncomingRow(line, i + 1, new Map(), 'run', keys).copy ?? '');
        // Every line's key_hash alike, and every line marked as maybe repeated.
        const forced = copy.filter(Boolean).map((row) => row.split('\t').map((v, i) => (i === 6 ? '7' : i === 7 ? 't' : v)).join('\t'));
        await pipeline(Readable.from([forced.join('')]), client.query(copyFrom(COPY_INCOMING)));
        await applyIncoming(client, Number(rows[0]!.id), { records: forced.length, keys }, await nextApplySeq(client), undefined);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }
    const all = await versions();
    const strip = (prefix: string) =>
      all.filter((v) => v.key.startsWith(prefix)).map((v) => ({ ...v, key: v.key.slice(prefix.length), raw_line: undefined }));
    expect(strip('forced-')).toEqual(strip('plain-'));
    expect(strip('plain-').map((v) => [v.key, v.version, v.data?.amount])).toEqual([
      ['a', 1, 1], ['a', 2, 5], ['b', 1, 2], ['b', 2, 3], ['c', 1, 4],
    ]);
  });

  it('a first crawl lands as it is read, and one that cannot (two sources, a key twice) lands the same through the general path', async () => {
    const line = (source: string, key: string, amount: number) =>
      JSON.stringify({ source, entity: 'offer', key, partition: 'all', observed_at: T(1), url: null, data: price(amount), source_fields: null });
    const dir = path.join(fresh.rawDir, 'mixed');
    fs.mkdirSync(dir, { recursive: true });
    const write = (name: string, lines: string[]) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, `${lines.join('\n')}\n`);
      return f;
    };
    const plain = await ingest(write('plain.jsonl', [line('one', 'a', 1), 'not json', line('one', 'b', 2)]));
    const mixed = await ingest(write('mixed.jsonl', [line('two', 'a', 1), line('three', 'a', 2), line('two', 'b', 3)]));
    const twice = await ingest(write('twice.jsonl', [line('four', 'a', 1), line('four', 'a', 1), line('four', 'b', 2)]));
    expect([plain, mixed, twice].map((r) => [r.records, r.newVersions, r.quarantined])).toEqual([[2, 2, 1], [3, 3, 0], [3, 2, 0]]);
    // Both ways of landing count the keys they add.
    const counts = await keyCounts(fresh.database.pool);
    expect(counts.kept).toEqual(['four/offer: 2', 'one/offer: 2', 'three/offer: 1', 'two/offer: 2']);
    expect(counts.kept).toEqual(counts.actual);
    const { rows } = await fresh.database.pool.query(
      `SELECT v.source, v.key, v.version, v.raw_line, s.version AS state_version, s.hash = v.hash AS same_hash
       FROM staging.versions v JOIN staging.key_state s USING (source, entity, key) ORDER BY v.source, v.key`,
    );
    // (Of two equal observations at one time, either line may stand for the version.)
    expect(rows.map((r) => [r.source, r.key, r.version, r.source === 'four' && r.key === 'a' ? 'either' : r.raw_line, r.state_version, r.same_hash])).toEqual([
      ['four', 'a', 1, 'either', 1, true], ['four', 'b', 1, 3, 1, true],
      ['one', 'a', 1, 1, 1, true], ['one', 'b', 1, 3, 1, true],
      ['three', 'a', 1, 2, 1, true],
      ['two', 'a', 1, 1, 1, true], ['two', 'b', 1, 3, 1, true],
    ]);
  });

  it('files of different sources apply side by side; a file waits for its own source only', async () => {
    const held = await fresh.database.pool.connect();
    await held.query('BEGIN');
    await lockSourcesForWrite(held, ['slow']);
    try {
      const slowFile = writeRawFile(fresh.rawDir, 'slow', [{ key: 'a', at: T(1), data: price(1) }]);
      const otherFile = writeRawFile(fresh.rawDir, 'other', [{ key: 'b', at: T(1), data: price(2) }]);
      const run = runIngest({ database: fresh.database, rawDir: fresh.rawDir, log: silentLogger, delistMaxMissingShare: 0.5, rules: await spiderRules(), replay: [slowFile, otherFile] });
      const landed = async (source: string) =>
        (await fresh.database.pool.query('SELECT count(*)::int AS n FROM staging.versions WHERE source = $1', [source])).rows[0].n as number;
      for (let i = 0; i < 100 && (await landed('other')) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await landed('other')).toBe(1);
      expect(await landed('slow')).toBe(0);
      await held.query('COMMIT');
      await run;
      expect(await landed('slow')).toBe(1);
    } finally {
      held.release();
    }
  });

  it('ingesting several files stops at the first that fails, after the one before it has landed', async () => {
    const first = file([{ key: 'a', at: T(1), data: price(1) }]);
    const outside = path.join(path.dirname(fresh.rawDir), 'elsewhere.jsonl');
    fs.copyFileSync(first, outside);
    const last = file([{ key: 'b', at: T(2), data: price(2) }]);
    const run = runIngest({ database: fresh.database, rawDir: fresh.rawDir, log: silentLogger, delistMaxMissingShare: 0.5, rules: await spiderRules(), replay: [first, outside, last] });
    await expect(run).rejects.toThrow(/outside the raw folder/);
    expect((await versions()).map((v) => v.key)).toEqual(['a']);
  });

  it('keeps the ledger append-only, so a version never loses the raw file it came from', async () => {
    await ingest(file([{ key: 'a', at: T(1), data: price(1) }]));
    await expect(fresh.database.pool.query('DELETE FROM staging.raw_files')).rejects.toThrow(/append-only/);
    await expect(fresh.database.pool.query('TRUNCATE staging.raw_files CASCADE')).rejects.toThrow(/append-only/);
    await expect(fresh.database.pool.query('UPDATE staging.raw_files SET id = id + 100')).rejects.toThrow(/append-only/);
  });
});
