// An export killed at any named point leaves the previous generation fully readable, and the next
// run publishes. Each failpoint is shown to land mid-work: some of the new generation was written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spiderRules } from '../helpers/spider-rules.ts';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { runEtl } from '../../src/etl/run-etl.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { runIngest } from '../../src/staging/run-ingest.ts';
import { exportedObjects, publishedManifest } from '../helpers/data-state.ts';
import { runCli } from '../helpers/run-cli.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let config: Config;
let testDb: TestDatabase;
let day1Export: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-export-kill-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  const demo = await startDemoServer({ day: 1 });
  await runPipeline({ spiders: [demoStore], config, database, log: silentLogger, clock: fixedClock(demoDayTime(1)), day: 1, baseUrl: demo.baseUrl });
  // Day 2 is landed and modelled but not exported: the killed exports publish it.
  demo.setDay(2);
  await runCrawl({ spider: demoStore, config, log: silentLogger, clock: fixedClock(demoDayTime(2)), baseUrl: demo.baseUrl });
  await runIngest({ database, rawDir: config.rawDir, log: silentLogger, delistMaxMissingShare: 0.5, rules: await spiderRules() });
  await runEtl({ database, log: silentLogger });
  await demo.close();
  day1Export = path.join(dir, 'public-day1');
  fs.cpSync(path.join(dir, 'public'), day1Export, { recursive: true });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const points: [string, (before: Record<string, string>, after: Record<string, string>) => void][] = [
  ['export.copy@2', (b, a) => expect(Object.keys(a).length).toBeGreaterThan(Object.keys(b).length)],
  ['export.before-aliases', (b, a) => expect(Object.keys(a).some((k) => !(k in b))).toBe(true)],
  ['export.alias@3', (b, a) => expect(Object.keys(b).some((k) => a[k] !== b[k])).toBe(true)],
  ['export.before-manifest', (b, a) => expect(a['v1/deals.json']).not.toBe(b['v1/deals.json'])],
  ['export.after-generation-manifest', (b, a) => expect(Object.keys(a).some((k) => !(k in b))).toBe(true)],
];

describe('export killed at named points', () => {
  it.each(points)('%s leaves the previous generation readable, and the re-run publishes', async (point, landedMidWork) => {
    const root = path.join(dir, 'public');
    fs.rmSync(root, { recursive: true, force: true });
    fs.cpSync(day1Export, root, { recursive: true });
    const before = exportedObjects(root);
    const env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: `file://${root}`, TRAWL_NOW: demoDayTime(2).toISOString() };
    const killed = await runCli(['export'], { env: { ...env, TRAWL_FAILPOINT: point } });
    expect(killed.code).toBeNull(); // killed by a signal
    expect(killed.stderr).toContain(`failpoint ${point.replace(/@.*/, '')}`);
    landedMidWork(before, exportedObjects(root));
    expect(publishedManifest(root).generated_at).toBe(demoDayTime(1).toISOString());

    const again = await runCli(['export'], { env });
    expect(again.code).toBe(0);
    expect(publishedManifest(root).generated_at).toBe(demoDayTime(2).toISOString());
  });

  it('export.before-delete: the new manifest is in place and names only whole objects', async () => {
    const root = path.join(dir, 'public');
    fs.rmSync(root, { recursive: true, force: true });
    fs.cpSync(day1Export, root, { recursive: true });
    const env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: `file://${root}`, TRAWL_NOW: demoDayTime(2).toISOString() };
    const killed = await runCli(['export'], { env: { ...env, TRAWL_FAILPOINT: 'export.before-delete' } });
    expect(killed.code).toBeNull();
    expect(publishedManifest(root).generated_at).toBe(demoDayTime(2).toISOString());
  });
});
