// SIGKILL at named points of the crawl and the ingest, each shown to land mid-work; the re-run ends
// exactly where an undisturbed run ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_SEED, faultSetup, seeded, type FaultSetup } from './lib/fault-world.ts';
import { coreOf, killTrial, type KillPoint } from './lib/kill-trial.ts';

let setup: FaultSetup;
beforeAll(async () => {
  setup = await faultSetup();
});
afterAll(async () => setup?.close());

const crawlRunning = (runs: string[]) => expect(runs).toEqual(['crawl:running']);
const nothingIngested = (o: { ledger: unknown[]; state: { versions: unknown[] } }, s: FaultSetup) => {
  expect(o.ledger).toEqual([]);
  expect(o.state.versions).toEqual(s.dayOne.versions);
};

const points: KillPoint[] = [
  {
    point: 'crawl.before-page-write',
    hits: [3, 30],
    midWork: (o) => {
      crawlRunning(o.runs);
      expect(o.part).toEqual({ pages: o.n - 1, ended: false });
    },
  },
  {
    point: 'crawl.after-page-write',
    hits: [3, 30],
    midWork: (o) => {
      crawlRunning(o.runs);
      expect(o.part).toEqual({ pages: o.n, ended: false });
    },
  },
  {
    point: 'crawl.before-finish',
    midWork: (o) => {
      crawlRunning(o.runs);
      // Every page written, the run not yet closed.
      expect(o.part!.pages).toBeGreaterThan(30);
      expect(o.part!.ended).toBe(false);
    },
  },
  {
    point: 'crawl.after-finish',
    midWork: (o) => {
      crawlRunning(o.runs);
      expect(o.part).toBeUndefined();
      expect(o.finished).toHaveLength(1);
    },
  },
  {
    point: 'pipeline.before-ingest',
    midWork: (o, s) => {
      expect(o.runs).toEqual(['crawl:ok']);
      nothingIngested(o, s);
    },
  },
  {
    point: 'ingest.line',
    hits: [10, 100],
    midWork: (o, s) => {
      expect(o.runs).toEqual(['crawl:ok', 'ingest:running']);
      // Killed while streaming the file into COPY: fewer lines read than it has.
      expect(o.n).toBeLessThan(o.finished[0]!.lines);
      nothingIngested(o, s);
    },
  },
  ...['ingest.after-copy', 'ingest.after-apply', 'ingest.before-commit'].map((point) => ({
    point,
    midWork: (o: Parameters<KillPoint['midWork']>[0], s: FaultSetup) => {
      expect(o.runs).toEqual(['crawl:ok', 'ingest:running']);
      nothingIngested(o, s);
    },
  })),
  {
    point: 'ingest.after-commit',
    midWork: (o, s) => {
      expect(o.runs).toEqual(['crawl:ok', 'ingest:running']);
      expect(o.ledger).toHaveLength(1);
      expect(o.state.versions).toEqual(s.expected.versions);
      expect(coreOf(o.state)).toEqual(coreOf(s.dayOne));
    },
  },
];

const draw = seeded(FAULT_SEED);
const trials = points.map((p) => [p.hits ? `${p.point}@${draw(...p.hits)}` : p.point, p] as const);

describe(`killed crawl and ingest (seed ${FAULT_SEED})`, () => {
  it.each(trials)('SIGKILL at %s, then the re-run', async (name, point) => {
    await killTrial(setup, point, Number(name.split('@')[1] ?? 1));
  });
});
