// One killed-process trial: day 2 runs with a failpoint armed and is killed there; what it left is
// observed (to show the kill landed mid-work, and that the public data stayed whole); then day 2 runs
// again, and the end state must equal that of an undisturbed day 2.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { demoDayTime } from '../../../src/lib/clock.ts';
import { readRawLines } from '../../helpers/raw-files.ts';
import { assertPublishedWhole, dropWorld, newWorld, runDay, stateOf, withDatabase, type DataState, type FaultSetup, type World } from './fault-world.ts';

export interface Observed {
  /** Failpoint hit count the trial was armed with. */
  n: number;
  /** The unfinished day-2 raw file, if any: its page markers and whether it has its end line. */
  part: { pages: number; ended: boolean } | undefined;
  /** Finished day-2 raw files: their line counts and pages. */
  finished: { lines: number; pages: number }[];
  /** ops.runs rows of the killed run, as "step:status". */
  runs: string[];
  /** Day-2 raw files in the ingest ledger. */
  ledger: { path: string; bytes: number }[];
  state: DataState;
  /** The public manifest's generation time. */
  published: string;
  manifests: number;
}

export interface KillPoint {
  point: string;
  /** The failpoint's hit count is drawn from this range (inclusive) by the seeded generator. */
  hits?: [number, number];
  /** Asserts the kill landed in the middle of the work, given what was left and the day-1 and day-2 states. */
  midWork(o: Observed, s: FaultSetup): void;
}

const DAY2 = demoDayTime(2).toISOString().slice(0, 10);

async function observe(w: World, n: number, baseRuns: number): Promise<Observed> {
  const dayDir = path.join(w.rawDir, 'demo_store', DAY2);
  const files = fs.existsSync(dayDir) ? fs.readdirSync(dayDir) : [];
  const partFile = files.find((f) => f.endsWith('.part'));
  const part = partFile ? readRawLines(path.join(dayDir, partFile)) : undefined;
  const { runs, ledger } = await withDatabase(w, async (db) => ({
    runs: (await db.pool.query<{ r: string }>(`SELECT step || ':' || status AS r FROM ops.runs WHERE id > $1 ORDER BY id`, [baseRuns])).rows.map((r) => r.r),
    ledger: (await db.pool.query<{ path: string; bytes: string }>(`SELECT path, bytes_ingested AS bytes FROM staging.raw_files WHERE path LIKE $1`, [`demo_store/${DAY2}/%`])).rows.map((r) => ({ path: r.path, bytes: Number(r.bytes) })),
  }));
  return {
    n,
    part: part && { pages: part.filter((l) => l.control === 'page').length, ended: part.some((l) => l.control === 'end') },
    finished: files
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => readRawLines(path.join(dayDir, f)))
      .map((lines) => ({ lines: lines.length, pages: Number(lines.at(-1)!.pages) })),
    runs,
    ledger,
    state: await stateOf(w),
    published: assertPublishedWhole(w),
    manifests: fs.readdirSync(path.join(w.publicDir, 'v1', 'manifests')).length,
  };
}

export async function killTrial(setup: FaultSetup, kp: KillPoint, n: number): Promise<void> {
  const w = await newWorld(setup.base);
  try {
    const baseRuns = await withDatabase(w, async (db) => Number((await db.pool.query('SELECT max(id) AS m FROM ops.runs')).rows[0].m));
    const spec = kp.hits ? `${kp.point}@${n}` : kp.point;
    // A temp folder of the trial's own, to see what the killed run left there.
    const tmp = path.join(w.dir, 'tmp');
    fs.mkdirSync(tmp);
    const killed = await runDay(w, setup.server, 2, { TRAWL_FAILPOINT: spec, TMPDIR: tmp });
    expect(killed.code, `not killed at ${spec}: ${killed.stderr}`).toBeNull();
    expect(killed.stderr).toContain(`failpoint ${kp.point}@${kp.hits ? n : 1}: SIGKILL`);
    const observed = await observe(w, n, baseRuns);
    kp.midWork(observed, setup);

    const again = await runDay(w, setup.server, 2, { TMPDIR: tmp });
    expect(again.code, again.stderr).toBe(0);
    // The re-run marked the killed run's open steps 'killed', and removed its temp folders.
    const marked = await withDatabase(w, async (db) =>
      (await db.pool.query<{ r: string }>(`SELECT step || ':' || status AS r FROM ops.runs WHERE id > $1 ORDER BY id LIMIT $2`, [baseRuns, observed.runs.length])).rows.map((r) => r.r),
    );
    expect(marked).toEqual(observed.runs.map((r) => r.replace(/:running$/, ':killed')));
    expect(fs.readdirSync(tmp).filter((name) => /^trawl-(export|landing)-/.test(name))).toEqual([]);
    const after = await stateOf(w);
    expect(after.versions).toEqual(setup.expected.versions);
    expect(after.quarantine).toEqual(setup.expected.quarantine);
    expect({ stores: after.stores, games: after.games, listings: after.listings, prices: after.prices }).toEqual({
      stores: setup.expected.stores,
      games: setup.expected.games,
      listings: setup.expected.listings,
      prices: setup.expected.prices,
    });
    expect(Object.keys(after.exported).sort()).toEqual(Object.keys(setup.expected.exported).sort());
    expect(after.exported).toEqual(setup.expected.exported);
    expect(assertPublishedWhole(w)).toBe(demoDayTime(2).toISOString());
  } finally {
    await dropWorld(w);
  }
}

/** Core as the ETL leaves it. */
export const coreOf = (s: DataState) => ({ stores: s.stores, games: s.games, listings: s.listings, prices: s.prices });

/** Objects written that day 1 did not have. */
export const newObjects = (o: Observed, s: FaultSetup) => Object.keys(o.state.exported).filter((k) => !(k in s.dayOne.exported));
