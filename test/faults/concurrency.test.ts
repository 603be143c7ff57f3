// Two ingests, two ETL runs, two exports at once, as separate processes: each pair is serialised or
// safe, and what is left equals an undisturbed day.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDayTime } from '../../src/lib/clock.ts';
import { BIN, cliEnv, runCli } from '../helpers/run-cli.ts';
import { assertPublishedWhole, dropWorld, faultSetup, newWorld, stateOf, worldEnv, type FaultSetup, type World } from './lib/fault-world.ts';

let setup: FaultSetup;
beforeAll(async () => {
  setup = await faultSetup();
});
afterAll(async () => setup?.close());

/** Runs the same command in two processes started together; both must succeed. */
async function twice(w: World, args: string[]): Promise<void> {
  const env = cliEnv(worldEnv(w, { TRAWL_NOW: demoDayTime(2).toISOString() }));
  const runs = [0, 1].map(
    () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { env });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      }),
  );
  for (const r of await Promise.all(runs)) expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
}

describe('concurrent ingest, ETL and export', () => {
  it.each([1, 2, 3])('trial %i: two of each at once leave what one of each leaves', async () => {
    const w = await newWorld(setup.base);
    try {
      setup.server.setDay(2);
      const crawl = await runCli(['crawl', 'demo_store', '--day', '2', '--base-url', setup.server.baseUrl], { env: worldEnv(w) });
      expect(crawl.code, crawl.stderr).toBe(0);
      await twice(w, ['ingest']);
      expect((await stateOf(w)).versions).toEqual(setup.expected.versions);
      await twice(w, ['etl']);
      await twice(w, ['export']);
      const after = await stateOf(w);
      expect({ stores: after.stores, games: after.games, listings: after.listings, prices: after.prices }).toEqual({
        stores: setup.expected.stores,
        games: setup.expected.games,
        listings: setup.expected.listings,
        prices: setup.expected.prices,
      });
      expect(after.exported).toEqual(setup.expected.exported);
      expect(assertPublishedWhole(w)).toBe(demoDayTime(2).toISOString());
    } finally {
      await dropWorld(w);
    }
  });
});
