// The ten analyst queries in sql/examples, run as trawl_analyst on three days of demo data.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { SQL_DIR } from '../../src/db/sql-file.ts';
import type { Database } from '../../src/db/database.ts';
import { demoCatalogue } from '../../src/spiders/demo-store/demo-catalogue.ts';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let database: Database;
let config: Config;
let testDb: TestDatabase;
let server: DemoServer;

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-examples-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  server = await startDemoServer({ day: 1 });
  for (const day of [1, 2, 3]) {
    server.setDay(day);
    await runPipeline({ spiders: [demoStore], config, database, log: silentLogger, clock: fixedClock(demoDayTime(day)), day, baseUrl: server.baseUrl });
  }
});

afterAll(async () => {
  await server?.close();
  await database?.close();
  await testDb?.drop();
});

type Row = Record<string, unknown>;
const day = (n: number) => demoDayTime(n).toISOString();

/** What each example must return on demo days 1-3, derived from the demo catalogue. */
const expectations: Record<string, (rows: Row[]) => void> = {
  '01_biggest_discounts_now.sql': (rows) => {
    // Day 3: p03's sale ended; p05 (both regions) and p09 (EU) are discounted.
    expect(rows.map((r) => [r.game_title, r.region_code]).sort()).toEqual([['Marrow Keep', 'eu'], ['Neon Drift', 'eu'], ['Neon Drift', 'us']]);
    expect(rows.every((r) => Number(r.price) < Number(r.regular_price))).toBe(true);
  },
  '02_price_history_of_one_game.sql': (rows) => {
    const us = rows.filter((r) => r.region_code === 'us').map((r) => r.amount);
    expect(us).toEqual([1999, 1499, 1999]);
  },
  '03_historical_lows.sql': (rows) => {
    const cg = rows.find((r) => r.game_title === 'Clockwork Garden' && r.region_code === 'us')!;
    expect(cg.low_all_time).toBe(1499);
  },
  '04_best_price_per_region.sql': (rows) => {
    expect(rows).toHaveLength(demoCatalogue(3).length * 2 - 1); // p11 is not for sale in the EU
  },
  '05_prices_that_came_back.sql': (rows) => {
    expect(rows.map((r) => [r.game_title, r.region_code, r.amount])).toEqual([['Clockwork Garden', 'eu', 1899], ['Clockwork Garden', 'us', 1999]]);
  },
  '06_delisted_listings.sql': (rows) => {
    expect(rows.map((r) => [r.game_title, (r.delisted_since as Date).toISOString()])).toEqual([['Sunken Bell', day(2)], ['Sunken Bell', day(2)]]);
  },
  '07_price_changes_per_day.sql': (rows) => {
    expect(rows.map((r) => [(r.day as Date).toISOString(), Number(r.changes)])).toEqual([
      [new Date(Date.UTC(2026, 0, 2)).toISOString(), 8], // p03 x2, p05 x2, p09, p11, p07 delisted x2
      [new Date(Date.UTC(2026, 0, 3)).toISOString(), 2], // p03 back, both regions
    ]);
  },
  '08_not_for_sale.sql': (rows) => {
    expect(rows.map((r) => [r.status, r.game_title, r.region_code])).toEqual([
      ['delisted', 'Sunken Bell', 'eu'],
      ['delisted', 'Sunken Bell', 'us'],
      ['unavailable', 'Glass Meridian', 'eu'],
    ]);
  },
  '09_free_games.sql': (rows) => {
    expect(rows.map((r) => [r.game_title, r.region_code])).toEqual([['Open Skies', 'eu'], ['Open Skies', 'us']]);
  },
  '10_lineage_of_current_prices.sql': (rows) => {
    expect(rows.length).toBeGreaterThan(20);
    for (const r of rows.slice(0, 5)) {
      const line = fs.readFileSync(path.join(config.rawDir, String(r.raw_file)), 'utf8').split('\n')[Number(r.raw_line) - 1]!;
      expect(JSON.parse(line).data.amount ?? null).toBe(r.amount);
    }
  },
};

describe('sql/examples', () => {
  const files = fs.readdirSync(path.join(SQL_DIR, 'examples')).filter((f) => f.endsWith('.sql')).sort();

  it('has ten examples, each with an expectation', () => {
    expect(files).toHaveLength(10);
    expect(files).toEqual(Object.keys(expectations).sort());
  });

  it.each(files)('%s returns the expected rows for trawl_analyst', async (file) => {
    const client = await database.pool.connect();
    try {
      await client.query('SET ROLE trawl_analyst');
      const { rows } = await client.query(fs.readFileSync(path.join(SQL_DIR, 'examples', file), 'utf8'));
      expect(rows.length).toBeGreaterThan(0);
      expectations[file]!(rows);
    } finally {
      await client.query('RESET ROLE');
      client.release();
    }
  });
});
