// One partition of a spider's scope crawled alone (`trawl run <spider> --partition X`): only that
// partition's requests, a raw file and a resume of its own, and a lock that lets the spider's other
// partitions run beside it but not a run of its whole scope.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { takeUnfinishedRun } from '../../src/crawl/resume.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { lockSpiders } from '../../src/db/spider-lock.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import cheapshark from '../../src/spiders/cheapshark.ts';
import playstation from '../../src/spiders/playstation.ts';
import steam from '../../src/spiders/steam.ts';
import { fixture, json, startFixtureServer } from '../helpers/fixture-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let testDb: TestDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-partitions-'));
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const at = new Date('2026-03-01T06:00:00Z');

describe('a crawl of one partition', () => {
  it('requests only that partition, and its run id and raw file name it', async () => {
    const server = await startFixtureServer((url) =>
      url.pathname === '/api/appdetails' && url.searchParams.get('cc') === 'tr' ? json(fixture('steam-appdetails/appdetails_priceoverview_multi_cc-tr_USD.json')) : undefined,
    );
    const config = loadConfig({ TRAWL_DATA_DIR: path.join(dir, 'steam') }, dir);
    try {
      const scope = steam.scope!.parse({ countries: ['tr', 'ua', 'us'], featured: [], app_ids: [1245620, 1091500, 413150] });
      const r = await runCrawl({ spider: steam, config, log: silentLogger, clock: fixedClock(at), baseUrl: server.url, scope, partition: 'tr' });
      expect(r.complete).toBe(true);
      expect(r.runId).toMatch(/-p-tr$/);
      expect(path.basename(r.rawFile)).toBe(`${r.runId}.jsonl`);
      const appdetails = server.requests.filter((q) => q.startsWith('/api/appdetails'));
      expect(appdetails.length).toBeGreaterThan(0);
      expect(appdetails.every((q) => new URL(q, 'http://x').searchParams.get('cc') === 'tr')).toBe(true);
      const records = fs.readFileSync(r.rawFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => !l.control);
      expect(records.length).toBe(3);
      expect(records.every((l) => l.partition === 'tr')).toBe(true);

      await expect(runCrawl({ spider: steam, config, log: silentLogger, clock: fixedClock(at), baseUrl: server.url, scope, partition: 'kr' })).rejects.toThrow(
        'steam has no partition "kr" in its scope; its partitions: tr, ua, us',
      );
      await expect(runCrawl({ spider: cheapshark, config, log: silentLogger, clock: fixedClock(at), baseUrl: server.url, partition: 'us' })).rejects.toThrow(
        'cheapshark does not split its crawls into partitions',
      );
    } finally {
      await server.close();
    }
  });

  it('names its partitions from the scope: two locales of one country are one partition', () => {
    const scope = playstation.scope!.parse({ locales: ['en-fi', 'fi-fi', 'ko-kr'], categories: [], deals_page: true, products: [] });
    const parts = playstation.partitions!(scope);
    expect(Object.keys(parts)).toEqual(['fi', 'kr']);
    expect(parts.fi!.locales).toEqual(['en-fi', 'fi-fi']);
    expect(steam.partitions!(steam.scope!.parse({ countries: ['us', 'kr'] }))).toMatchObject({ us: { countries: ['us'] }, kr: { countries: ['kr'] } });
  });

  it('resumes only its own partition\'s unfinished run, and leaves the others\' alone', async () => {
    const rawDir = path.join(dir, 'resume', 'raw');
    const day = path.join(rawDir, 'steam', '2026-03-01');
    fs.mkdirSync(day, { recursive: true });
    const part = (runId: string) => {
      const file = path.join(day, `${runId}.jsonl.part`);
      fs.writeFileSync(file, `${JSON.stringify({ control: 'start', run_id: runId, source: 'steam', started_at: at.toISOString() })}\n`);
      return file;
    };
    const us = part('20260301T060000Z-aaaaaa-p-us');
    const kr = part('20260301T060000Z-bbbbbb-p-kr');
    const window = { fresh: false, windowHours: 12 };
    // A run of the whole scope, and one of another partition, find nothing of theirs and touch neither.
    expect(await takeUnfinishedRun('steam', rawDir, at, { ...window, partition: undefined }, silentLogger)).toBeUndefined();
    expect(await takeUnfinishedRun('steam', rawDir, at, { ...window, partition: 'tr' }, silentLogger)).toBeUndefined();
    expect(fs.readdirSync(day).sort()).toEqual([path.basename(us), path.basename(kr)].sort());
    // Each partition's run takes up its own.
    expect((await takeUnfinishedRun('steam', rawDir, at, { ...window, partition: 'us' }, silentLogger))?.runId).toBe('20260301T060000Z-aaaaaa-p-us');
    expect((await takeUnfinishedRun('steam', rawDir, at, { ...window, partition: 'kr' }, silentLogger))?.runId).toBe('20260301T060000Z-bbbbbb-p-kr');
  });

  it('locks its partition: the spider\'s other partitions may run beside it, a run of its whole scope may not', async () => {
    const us = await lockSpiders(testDb.url, ['steam/us'], silentLogger);
    try {
      const kr = await lockSpiders(testDb.url, ['steam/kr'], silentLogger);
      await expect(lockSpiders(testDb.url, ['steam/us'], silentLogger)).rejects.toMatchObject({ message: 'steam/us is already running (another trawl run holds its lock)', exitCode: EXIT.locked });
      await expect(lockSpiders(testDb.url, ['steam'], silentLogger)).rejects.toMatchObject({ message: 'steam is already running (another trawl run holds its lock)', exitCode: EXIT.locked });
      await kr.release();
    } finally {
      await us.release();
    }
    const whole = await lockSpiders(testDb.url, ['steam'], silentLogger);
    try {
      await expect(lockSpiders(testDb.url, ['steam/us'], silentLogger)).rejects.toMatchObject({ message: 'steam is already running over its whole scope (another trawl run holds its lock)', exitCode: EXIT.locked });
    } finally {
      await whole.release();
    }
  });

  it('trawl run --partition: one spider only, and a clear usage error for a spider that does not partition', async () => {
    const env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'cli'), EXPORT_TARGET: `file://${dir}/cli-public` };
    const two = await runCli(['run', 'steam', 'gog', '--partition', 'us'], { env });
    expect(two.code).toBe(EXIT.usage);
    expect(two.stderr).toContain('--partition runs one spider: name exactly one');
    const none = await runCli(['run', 'cheapshark', '--partition', 'us'], { env });
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain('cheapshark does not split its crawls into partitions: run it without --partition');
    const listed = await runCli(['spiders'], { env });
    expect(listed.stdout).toMatch(/steam .* us kr tr /);
  });
});
