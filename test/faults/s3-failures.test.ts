// The S3 endpoint fails during an export: refused connections, 500s, answers that never come. Each
// export retries a bounded number of times, fails with a clear message, leaves the previous generation
// readable, and the next run publishes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../src/spiders/demo-store/demo-server.ts';
import { demoDayTime } from '../../src/lib/clock.ts';
import { EXIT } from '../../src/lib/errors.ts';
import { S3_MAX_ATTEMPTS } from '../../src/lib/s3.ts';
import { wholeObject } from '../helpers/data-state.ts';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.ts';
import { freePort, runCli } from '../helpers/run-cli.ts';
import { S3RVER_ENV, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let s3: S3Server;
let proxy: FaultProxy;
let demo: DemoServer;
let testDb: TestDatabase;
let env: Record<string, string>;
let direct: S3Client;

beforeAll(async () => {
  s3 = await startS3Server(['pub']);
  proxy = await startFaultProxy(s3.endpoint);
  demo = await startDemoServer({ day: 1 });
  testDb = await createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-s3-faults-'));
  env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: 's3://pub/site', S3_ENDPOINT: proxy.url, ...S3RVER_ENV };
  direct = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: S3RVER_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: S3RVER_ENV.AWS_SECRET_ACCESS_KEY } });
  // Day 1 published; day 2 landed and modelled, waiting for its export.
  const day1 = await runCli(['run', 'demo_store', '--day', '1', '--base-url', demo.baseUrl], { env });
  expect(day1.code, day1.stderr).toBe(0);
  demo.setDay(2);
  for (const args of [['crawl', 'demo_store', '--day', '2', '--base-url', demo.baseUrl], ['ingest'], ['etl']]) {
    const r = await runCli(args, { env: { ...env, TRAWL_NOW: demoDayTime(2).toISOString() } });
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  await demo?.close();
  await proxy?.close();
  await s3?.close();
  await testDb?.drop();
});

const get = async (key: string) => Buffer.from(await (await direct.send(new GetObjectCommand({ Bucket: 'pub', Key: `site/${key}` }))).Body!.transformToByteArray());

/** Every object the public manifest names is there, whole; returns the manifest's generation time. */
async function publishedWhole(): Promise<string> {
  const manifest = JSON.parse((await get('v1/manifest.json')).toString('utf8'));
  for (const [stable, f] of Object.entries(manifest.files) as [string, { key: string; sha256: string }][]) {
    expect(crypto.hash('sha256', await get(f.key), 'hex')).toBe(f.sha256);
    wholeObject(stable, await get(stable));
  }
  return manifest.generated_at;
}

const exportDay2 = (extra: Record<string, string> = {}) => runCli(['export'], { env: { ...env, TRAWL_NOW: demoDayTime(2).toISOString(), ...extra } });

/** The most attempts any one object got. */
function maxAttemptsPerKey(method: string): number {
  const counts = new Map<string, number>();
  for (const r of proxy.seen.filter((s) => s.startsWith(`${method} `))) counts.set(r, (counts.get(r) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

describe('S3 endpoint failures during export', () => {
  it('connection refused: a clear failure, the previous generation stays', async () => {
    const r = await exportDay2({ S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
    expect(await publishedWhole()).toBe(demoDayTime(1).toISOString());
  });

  it('500 on every upload: bounded retries, a clear failure, the previous generation stays', async () => {
    proxy.seen.length = 0;
    proxy.setRule({ kind: 'error', method: 'PUT' });
    const r = await exportDay2();
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toMatch(/InternalError|injected|500/);
    // Retried, and no more than the configured attempts.
    expect(maxAttemptsPerKey('PUT')).toBe(S3_MAX_ATTEMPTS);
    proxy.setRule({ kind: 'pass' });
    expect(await publishedWhole()).toBe(demoDayTime(1).toISOString());
  });

  it('answers that never come: each attempt times out, then a clear failure', async () => {
    proxy.seen.length = 0;
    proxy.setRule({ kind: 'slow', method: 'PUT', delayMs: 4000 });
    const r = await exportDay2({ S3_REQUEST_TIMEOUT_SECS: '1' });
    expect(r.code).toBe(EXIT.failed);
    expect(r.stderr).toMatch(/timeout|timed out/i);
    expect(maxAttemptsPerKey('PUT')).toBeLessThanOrEqual(S3_MAX_ATTEMPTS);
    expect(maxAttemptsPerKey('PUT')).toBeGreaterThan(1);
    proxy.setRule({ kind: 'pass' });
    expect(await publishedWhole()).toBe(demoDayTime(1).toISOString());
  });

  it('a few 500s are retried away, and the next run publishes', async () => {
    proxy.setRule({ kind: 'error', method: 'PUT', times: 3 });
    const r = await exportDay2();
    expect(r.code, r.stderr).toBe(0);
    proxy.setRule({ kind: 'pass' });
    expect(await publishedWhole()).toBe(demoDayTime(2).toISOString());
  });
});
