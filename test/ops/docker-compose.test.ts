// docker-compose.yml: checked by a real compose parser, and the app service's command run outside
// Docker with the service's own environment (hosts mapped to this machine's services).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createS3Client } from '../../src/lib/s3.ts';
import { BIN, cliEnv, freePort } from '../helpers/run-cli.ts';
import { S3RVER_ENV, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'));
let s3: S3Server;
let testDb: TestDatabase;

beforeAll(async () => {
  s3 = await startS3Server(['trawl']);
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb?.drop();
  await s3?.close();
});

/** The demo store's entry of the project's schedules.json, in a file of its own. */
function demoSchedules(): string {
  const all = JSON.parse(fs.readFileSync(path.join(ROOT, 'schedules.json'), 'utf8')) as Record<string, unknown>;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-compose-schedules-')), 'schedules.json');
  fs.writeFileSync(file, JSON.stringify({ demo_store: all.demo_store }));
  return file;
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose and has the services the deployment needs', () => {
    execFileSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], { stdio: 'pipe' });
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'minio', 'minio-init', 'postgres']);
    expect(compose.services.postgres.healthcheck.test).toEqual(['CMD-SHELL', 'pg_isready -U trawl -d trawl']);
    expect(compose.services.postgres.volumes).toEqual(['pgdata:/var/lib/postgresql/data']);
    // What the app publishes is what MinIO makes public: the page and the JSON under one prefix.
    const target = /^s3:\/\/([^/]+)\/(.+)$/.exec(compose.services.app.environment.EXPORT_TARGET)!;
    expect(compose.services['minio-init'].command[0]).toContain(`mc anonymous set download local/${target[1]}/${target[2]}`);
    expect(compose.services.app.build).toBe('.');
    expect(compose.services.app.command).toEqual(['worker']);
    expect(compose.services.app.depends_on.postgres.condition).toBe('service_healthy');
    // Analysts on the machine reach Postgres; nobody else does.
    expect(compose.services.postgres.ports).toEqual(['127.0.0.1:5432:5432']);
    for (const service of Object.values(compose.services) as { image?: string }[]) {
      if (service.image) expect(service.image).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
    }
    expect(compose.services.app.healthcheck.test[1]).toContain('trawl.js status');
    // The build context leaves out what the image does not copy (node_modules was 357 MB of it).
    const ignored = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'data', '.git', '.env']) expect(ignored).toContain(entry);
  });

  it('the app\'s command, with the app\'s environment, crawls the demo store and publishes to the bucket', async () => {
    const appEnv = compose.services.app.environment as Record<string, string>;
    // Only the hosts change: postgres -> this machine's server, minio -> a loopback S3-API server.
    const env: Record<string, string> = {
      ...appEnv,
      DATABASE_URL: testDb.url,
      S3_ENDPOINT: s3.endpoint,
      ...S3RVER_ENV,
      // The project's schedules, the demo store's only: the store spiders would go to the internet.
      SCHEDULES_FILE: demoSchedules(),
      TRAWL_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-compose-')),
      DEMO_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    };
    expect(appEnv.EXPORT_TARGET).toBe('s3://trawl/public');
    const child = spawn(process.execPath, [BIN, ...compose.services.app.command], { env: cliEnv(env) });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const config = loadConfig({ S3_ENDPOINT: s3.endpoint });
    const deadline = Date.now() + 90_000;
    let manifest: { generation: string } | undefined;
    while (!manifest && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const obj = await createS3Client(config.s3).send(new GetObjectCommand({ Bucket: 'trawl', Key: 'public/v1/manifest.json' }));
        manifest = JSON.parse(await obj.Body!.transformToString());
      } catch {
        // not yet published
      }
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(manifest, log.slice(-2000)).toBeDefined();
    const games = await createS3Client(config.s3).send(new GetObjectCommand({ Bucket: 'trawl', Key: 'public/v1/games.json' }));
    expect(JSON.parse(await games.Body!.transformToString()).count).toBe(24);
    // JSON log lines carry the run id and spider.
    const runLines = log.split('\n').filter((l) => l.includes('"run_id"'));
    expect(runLines.length).toBeGreaterThan(0);
    expect(runLines.every((l) => JSON.parse(l).spider === 'demo_store')).toBe(true);
  });

  it('the postgres healthcheck command works against a real server', () => {
    const url = new URL(testDb.url);
    execFileSync('pg_isready', ['-h', url.hostname, '-p', url.port || '5432', '-d', url.pathname.slice(1)], { stdio: 'pipe' });
  });
});
