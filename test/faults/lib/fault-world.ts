// The world a fault scenario runs in: the demo shop scaled up, a database and a data folder holding
// day 1 already, cloned per trial, and the real `trawl` bin run against it for day 2 as cron would.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { openDatabase, type Database } from '../../../src/db/database.ts';
import { startDemoServer, type DemoServer } from '../../../src/spiders/demo-store/demo-server.ts';
import { demoDayTime } from '../../../src/lib/clock.ts';
import { silentLogger } from '../../../src/lib/logger.ts';
import { dataState, publishedManifest } from '../../helpers/data-state.ts';
import { runCli, type CliResult } from '../../helpers/run-cli.ts';

/** Enough pages and records that every stage has work to be killed in the middle of. */
export const EXTRA_PRODUCTS = 30;

export interface World {
  dir: string;
  dbName: string;
  url: string;
  publicDir: string;
  rawDir: string;
}

export interface FaultSetup {
  server: DemoServer;
  /** Day 1 landed, modelled and published; never run against, only cloned. */
  base: World;
  /** What an undisturbed day 2 leaves. */
  expected: DataState;
  /** The day-1 state, for checks that a killed step applied nothing. */
  dayOne: DataState;
  close(): Promise<void>;
}

export type DataState = Awaited<ReturnType<typeof dataState>>;

const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: inject('adminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
};

function worldAt(dir: string, dbName: string): World {
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${dbName}`;
  return { dir, dbName, url: url.toString(), publicDir: path.join(dir, 'public'), rawDir: path.join(dir, 'data', 'raw') };
}

/** A new world: an empty database (from the migrated template) and folder, or a copy of `from`. */
export async function newWorld(from?: World): Promise<World> {
  const dbName = `trawl_f_${crypto.randomBytes(5).toString('hex')}`;
  const template = from?.dbName ?? inject('templateDb');
  // A closed connection's backend can take a moment to go; the template must have none.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)} TEMPLATE ${pg.escapeIdentifier(template)}`));
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-fault-'));
  if (from) fs.cpSync(from.dir, dir, { recursive: true });
  return worldAt(dir, dbName);
}

export async function dropWorld(w: World): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(w.dbName)} WITH (FORCE)`));
  fs.rmSync(w.dir, { recursive: true, force: true });
}

export function worldEnv(w: World, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: w.url, TRAWL_DATA_DIR: path.join(w.dir, 'data'), EXPORT_TARGET: `file://${w.publicDir}`, ...extra };
}

/** `trawl run demo_store` for a demo day against the scaled shop, as cron runs it. */
export function runDay(w: World, server: DemoServer, day: number, env: Record<string, string> = {}): Promise<CliResult> {
  server.setDay(day);
  return runCli(['run', 'demo_store', '--day', String(day), '--base-url', server.baseUrl], { env: worldEnv(w, env) });
}

export async function withDatabase<T>(w: World, fn: (db: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(loadConfig({ ...worldEnv(w), LOG_LEVEL: 'silent' }, w.dir), silentLogger, { migrate: false });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export const stateOf = (w: World) => withDatabase(w, (db) => dataState(db, w.publicDir));

/** Every object the public manifest names is there with the bytes it promises; stable keys are whole. */
export function assertPublishedWhole(w: World): string {
  const { generated_at } = publishedManifest(w.publicDir);
  expect([demoDayTime(1).toISOString(), demoDayTime(2).toISOString()]).toContain(generated_at);
  return generated_at;
}

export async function faultSetup(): Promise<FaultSetup> {
  const server = await startDemoServer({ day: 1, extraProducts: EXTRA_PRODUCTS, js: false });
  const base = await newWorld();
  const day1 = await runDay(base, server, 1);
  expect(day1.code, day1.stderr).toBe(0);
  const dayOne = await stateOf(base);
  const undisturbed = await newWorld(base);
  const day2 = await runDay(undisturbed, server, 2);
  expect(day2.code, day2.stderr).toBe(0);
  const expected = await stateOf(undisturbed);
  await dropWorld(undisturbed);
  // Day 2 must differ from day 1, or an equal end state would prove nothing.
  expect(expected.versions.length).toBeGreaterThan(dayOne.versions.length);
  return {
    server,
    base,
    expected,
    dayOne,
    close: async () => {
      await server.close();
      await dropWorld(base);
    },
  };
}

/** A small seeded generator (mulberry32), so a failing trial can be repeated with FAULT_SEED. */
export function seeded(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + Math.floor(r * (hi - lo + 1));
  };
}

export const FAULT_SEED = Number(process.env.FAULT_SEED ?? 20261122);
