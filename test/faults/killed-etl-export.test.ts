// SIGKILL at named points of the ETL and the export, each shown to land mid-work: no ETL is ever
// half-applied, the public manifest always names a whole generation, and the re-run ends exactly
// where an undisturbed run ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDayTime } from '../../src/lib/clock.ts';
import { FAULT_SEED, faultSetup, seeded, type FaultSetup } from './lib/fault-world.ts';
import { coreOf, killTrial, newObjects, type KillPoint, type Observed } from './lib/kill-trial.ts';

let setup: FaultSetup;
beforeAll(async () => {
  setup = await faultSetup();
});
afterAll(async () => setup?.close());

const DAY1 = demoDayTime(1).toISOString();
const DAY2 = demoDayTime(2).toISOString();

/** The ETL ran but was killed before its commit: core is exactly day 1's. */
const etlNotApplied = (o: Observed, s: FaultSetup) => {
  expect(o.runs).toEqual(['crawl:ok', 'ingest:ok', 'etl:running']);
  expect(o.state.versions).toEqual(s.expected.versions);
  expect(coreOf(o.state)).toEqual(coreOf(s.dayOne));
};
/** The export was killed before its manifest: day 1 is still what the public reads. */
const exportUnpublished = (o: Observed) => {
  expect(o.runs).toEqual(['crawl:ok', 'ingest:ok', 'etl:ok', 'export:running']);
  expect(o.published).toBe(DAY1);
};

const points: KillPoint[] = [
  { point: 'pipeline.before-etl', midWork: (o, s) => (expect(o.runs).toEqual(['crawl:ok', 'ingest:ok']), expect(coreOf(o.state)).toEqual(coreOf(s.dayOne))) },
  { point: 'etl.step', hits: [1, 3], midWork: etlNotApplied },
  { point: 'etl.before-checks', midWork: etlNotApplied },
  { point: 'etl.before-commit', midWork: etlNotApplied },
  {
    point: 'etl.after-commit',
    midWork: (o, s) => {
      expect(o.runs).toEqual(['crawl:ok', 'ingest:ok', 'etl:running']);
      expect(coreOf(o.state)).toEqual(coreOf(s.expected));
    },
  },
  {
    point: 'pipeline.before-export',
    midWork: (o, s) => {
      expect(o.runs).toEqual(['crawl:ok', 'ingest:ok', 'etl:ok']);
      expect(o.state.exported).toEqual(s.dayOne.exported);
    },
  },
  {
    point: 'export.copy',
    hits: [2, 6],
    midWork: (o, s) => {
      exportUnpublished(o);
      expect(newObjects(o, s).length).toBeGreaterThan(0);
    },
  },
  {
    point: 'export.before-aliases',
    midWork: (o, s) => {
      exportUnpublished(o);
      expect(newObjects(o, s).length).toBeGreaterThan(0);
      expect(o.state.exported['v1/deals.json']).toBe(s.dayOne.exported['v1/deals.json']);
    },
  },
  {
    point: 'export.alias',
    hits: [2, 6],
    midWork: (o, s) => {
      exportUnpublished(o);
      const stable = Object.keys(s.dayOne.exported).filter((k) => !/\.[0-9a-f]{16}\.json$/.test(k));
      const changed = stable.filter((k) => o.state.exported[k] !== s.dayOne.exported[k]);
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.length).toBeLessThan(stable.length);
    },
  },
  {
    point: 'export.before-manifest',
    midWork: (o, s) => {
      exportUnpublished(o);
      expect(o.state.exported['v1/deals.json']).not.toBe(s.dayOne.exported['v1/deals.json']);
    },
  },
  {
    point: 'export.after-generation-manifest',
    midWork: (o) => {
      exportUnpublished(o);
      expect(o.manifests).toBe(2);
    },
  },
  {
    point: 'export.before-delete',
    midWork: (o) => {
      expect(o.runs).toEqual(['crawl:ok', 'ingest:ok', 'etl:ok', 'export:running']);
      expect(o.published).toBe(DAY2);
    },
  },
];

const draw = seeded(FAULT_SEED + 1);
const trials = points.map((p) => [p.hits ? `${p.point}@${draw(...p.hits)}` : p.point, p] as const);

describe(`killed ETL and export (seed ${FAULT_SEED})`, () => {
  it.each(trials)('SIGKILL at %s, then the re-run', async (name, point) => {
    await killTrial(setup, point, Number(name.split('@')[1] ?? 1));
  });
});
