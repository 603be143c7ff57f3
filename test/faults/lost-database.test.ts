// The database is lost entirely (and then the raw folder with it): `trawl rebuild` recreates the
// database and schema, replays every raw file from the local folder or the RAW_ARCHIVE bucket,
// rebuilds core and publishes. Staging versions, price history and exported objects equal those
// before the loss.
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { runCli } from '../helpers/run-cli.ts';
import { S3RVER_ENV, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { dropWorld, newWorld, runDay, stateOf, worldEnv, type DataState, type World } from './lib/fault-world.ts';

let s3: S3Server;
let demo: DemoServer;
let w: World;
let extra: Record<string, string>;
let before: DataState;

beforeAll(async () => {
  s3 = await startS3Server(['archive']);
  demo = await startDemoServer({ day: 1, extraProducts: 20, js: false });
  w = await newWorld();
  extra = { RAW_ARCHIVE: 's3://archive/raw', S3_ENDPOINT: s3.endpoint, ...S3RVER_ENV };
  for (const day of [1, 2, 3]) {
    const r = await runDay(w, demo, day, extra);
    expect(r.code, r.stderr).toBe(EXIT.ok);
  }
  before = await stateOf(w);
});

afterAll(async () => {
  await demo?.close();
  await s3?.close();
  if (w) await dropWorld(w);
});

async function dropDatabase() {
  const c = new pg.Client({ connectionString: inject('adminUrl') });
  await c.connect();
  await c.query(`DROP DATABASE ${pg.escapeIdentifier(w.dbName)} WITH (FORCE)`);
  await c.end();
}

function expectSameAsBefore(after: DataState) {
  expect(after.versions).toEqual(before.versions);
  expect(after.quarantine).toEqual(before.quarantine);
  expect(after.prices).toEqual(before.prices);
  expect({ stores: after.stores, games: after.games, listings: after.listings }).toEqual({ stores: before.stores, games: before.games, listings: before.listings });
  expect(after.exported).toEqual(before.exported);
}

describe('a lost database', () => {
  it('is rebuilt from the local raw files', async () => {
    expect(before.versions.length).toBeGreaterThan(60);
    await dropDatabase();
    const r = await runCli(['rebuild'], { env: worldEnv(w, extra) });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/rebuilt in/);
    expectSameAsBefore(await stateOf(w));
  });

  it('is rebuilt from RAW_ARCHIVE when the raw folder was lost too', async () => {
    await dropDatabase();
    fs.rmSync(w.rawDir, { recursive: true, force: true });
    const r = await runCli(['rebuild'], { env: worldEnv(w, extra) });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(fs.readdirSync(`${w.rawDir}/demo_store`)).toHaveLength(3);
    expectSameAsBefore(await stateOf(w));
  });

  it('refuses to rebuild over a database that still holds data', async () => {
    const r = await runCli(['rebuild'], { env: worldEnv(w, extra) });
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toMatch(/already holds \d+ staging versions/);
  });
});
