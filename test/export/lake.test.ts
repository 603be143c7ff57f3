// The Parquet lake read back with DuckDB, as an analyst's engine reads it: from a folder, and from a
// real S3-API server by downloading the objects the manifest names with the AWS SDK.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { runEtl } from '../../src/etl/index.ts';
import { type LakeManifest, runLakeExport } from '../../src/export/run-lake-export.ts';
import { parseLakeDefinition } from '../../src/export/lake-definition.ts';
import { openTarget } from '../../src/export/targets.ts';
import { demoDayTime, fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { createS3Client } from '../../src/lib/s3.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { buildPublicDataset } from '../helpers/public-dataset.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let config: Config;
let testDb: TestDatabase;
let s3: S3Server;
let duck: DuckDBInstance;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-lake-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  await buildPublicDataset(database, config);
  config = { ...config, lakeTarget: `file://${dir}/lake` };
  s3 = await startS3Server(['lake']);
  duck = await DuckDBInstance.create(':memory:');
});

afterAll(async () => {
  duck?.closeSync();
  await s3?.close();
  await database?.close();
  await testDb?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const lake = (opts: Partial<Parameters<typeof runLakeExport>[0]> = {}) =>
  runLakeExport({ database, target: openTarget(config, 'LAKE_TARGET'), clock: fixedClock(demoDayTime(3)), log: silentLogger, ...opts });

/** One row of a DuckDB query over the lake in `root`, values as JSON (BIGINT as strings). */
async function duckdb(root: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = await duck.connect();
  try {
    const q = sql.replace(/\{(\w+)\}/g, (_, t: string) => `read_parquet('${root}/${t}/**/*.parquet', hive_partitioning = true)`);
    return (await c.runAndReadAll(q)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
  }
}

const pg = async (sql: string) => (await database.pool.query(sql)).rows;

/** The lake and Postgres agree: row counts, sums of amounts, one listing's history, the types. */
async function expectLakeEqualsPostgres(root: string): Promise<void> {
  for (const [table, source] of [['games', 'core.games'], ['listings', 'core.listings'], ['stores', 'core.stores'], ['prices', 'core.prices'], ['currencies', 'core.currencies']]) {
    const [got] = await duckdb(root, `SELECT count(*)::int AS n FROM {${table}}`);
    const [want] = await pg(`SELECT count(*)::int AS n FROM ${source}`);
    expect(got!.n, table).toBe(want.n);
  }
  const [sums] = await duckdb(root, 'SELECT sum(amount)::varchar AS amount, sum(regular_amount)::varchar AS regular, count(valid_to)::int AS closed FROM {prices}');
  const [want] = await pg('SELECT sum(amount)::text AS amount, sum(regular_amount)::text AS regular, count(valid_to)::int AS closed FROM core.prices');
  expect(sums).toEqual({ amount: want.amount, regular: want.regular, closed: want.closed });

  // Clockwork Garden at demo_store in the US, row for row: 19.99 -> 14.99 -> 19.99, to the microsecond.
  const history = await duckdb(
    root,
    `SELECT p.amount, epoch_us(p.valid_from)::varchar AS valid_from, epoch_us(p.valid_to)::varchar AS valid_to, p.store, p.region
     FROM {prices} p JOIN {games} g USING (game_id) WHERE g.title = 'Clockwork Garden' AND p.store = 'demo_store' AND p.region = 'us' ORDER BY p.valid_from`,
  );
  const wantHistory = await pg(
    `SELECT p.amount::text AS amount, (extract(epoch FROM p.valid_from) * 1000000)::bigint::text AS valid_from, (extract(epoch FROM p.valid_to) * 1000000)::bigint::text AS valid_to
     FROM core.prices p JOIN core.listings l USING (listing_id) JOIN core.games g USING (game_id)
     WHERE g.title = 'Clockwork Garden' AND l.store_id = 'demo_store' AND p.region_code = 'us' ORDER BY p.valid_from`,
  );
  expect(history.map((h) => [h.amount, h.valid_from, h.valid_to])).toEqual(wantHistory.map((h) => [h.amount, h.valid_from, h.valid_to]));
  expect(history.map((h) => h.amount)).toEqual(['1999', '1499', '1999']);

  // int64 amounts, UTC-adjusted timestamps, nullable columns.
  const file = (await duckdb(root, `SELECT filename FROM read_parquet('${root}/prices/**/*.parquet', filename = true) LIMIT 1`))[0]!.filename as string;
  const schema = Object.fromEntries((await duckdb(root, `SELECT name, type, logical_type FROM parquet_schema('${file}')`)).map((r) => [r.name, r]));
  expect(schema.amount).toMatchObject({ type: 'INT64' });
  expect(String(schema.valid_from!.logical_type)).toContain('isAdjustedToUTC=1');
  expect(schema.store).toBeUndefined(); // a partition column lives in the folder name
}

describe('Parquet lake', () => {
  it('writes every table Hive-partitioned with its manifest last, and DuckDB reads what Postgres holds', async () => {
    const r = await lake();
    expect(r.written).toBe(r.files);
    const root = path.join(dir, 'lake');
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as LakeManifest;
    expect(Object.keys(manifest.tables).sort()).toEqual(['currencies', 'games', 'listings', 'prices', 'stores']);
    const partitions = manifest.tables.prices!.files.map((f) => f.partition);
    expect(partitions).toContainEqual({ store: 'demo_store', region: 'us' });
    expect(partitions).toContainEqual({ store: 'shop_two', region: 'us' });
    for (const f of manifest.tables.prices!.files) {
      expect(f.key).toMatch(/^prices\/store=[\w.-]+\/region=[\w.-]+\/part-[0-9a-f]{16}\.parquet$/);
      expect(fs.statSync(path.join(root, f.key)).size).toBe(f.size);
    }
    expect(manifest.tables.prices!.columns.find((c) => c.name === 'amount')!.type).toBe('BIGINT');
    await expectLakeEqualsPostgres(root);
    // A step of its own in ops.runs, counting the rows it wrote.
    const [run] = await pg(`SELECT status, records FROM ops.runs WHERE step = 'lake' ORDER BY started_at DESC LIMIT 1`);
    expect(run).toEqual({ status: 'ok', records: Object.values(r.rows).reduce((a, b) => a + b, 0) });
  });

  it('rewrites only the partitions whose data changed, and removes the files no manifest names', async () => {
    const root = path.join(dir, 'lake');
    const same = await lake();
    expect(same.written).toBe(0);
    expect(same.unchanged).toBe(same.files);

    const before = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as LakeManifest;
    // shop_two's US price of Iron Tundra changes: its partition, and the tables it is not in stay.
    const at = demoDayTime(4).toISOString();
    const raw = writeRawFile(config.rawDir, 'shop_two', [{ key: 'shop_two:it:us', partition: 'us', at, data: { store: 'shop_two', store_item_id: 'it', title: 'Iron Tundra', url: 'https://shop-two.example/app/it', region: 'us', currency: 'USD', status: 'available', amount: 2999, regular_amount: 3999 } }]);
    await ingestFile({ pool: database.pool, rawDir: config.rawDir, file: raw, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
    await runEtl({ database, log: silentLogger });
    const r = await lake({ clock: fixedClock(demoDayTime(4)) });
    const after = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as LakeManifest;
    const changed = after.tables.prices!.files.filter((f) => !before.tables.prices!.files.some((b) => b.key === f.key));
    expect(changed.map((f) => f.partition)).toEqual([{ store: 'shop_two', region: 'us' }]);
    expect(r.written).toBe(1);
    expect(r.removed).toBe(1);
    const old = before.tables.prices!.files.find((f) => f.partition.store === 'shop_two')!;
    expect(fs.existsSync(path.join(root, old.key))).toBe(false);
    await expectLakeEqualsPostgres(root);
  });

  it('works the same to S3 (s3rver): the objects, downloaded with the AWS SDK, read back equal', async () => {
    const s3Config = { ...config, lakeTarget: 's3://lake/warehouse', s3: { ...config.s3, endpoint: s3.endpoint, forcePathStyle: true } };
    const r = await runLakeExport({ database, target: openTarget(s3Config, 'LAKE_TARGET'), clock: fixedClock(demoDayTime(4)), log: silentLogger });
    expect(r.written).toBe(r.files);
    const client = createS3Client(s3Config.s3);
    const get = async (key: string) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: 'lake', Key: `warehouse/${key}` }))).Body!.transformToByteArray());
    const manifest = JSON.parse((await get('manifest.json')).toString('utf8')) as LakeManifest;
    const local = path.join(dir, 'from-s3');
    for (const t of Object.values(manifest.tables)) {
      for (const f of t.files) {
        fs.mkdirSync(path.dirname(path.join(local, f.key)), { recursive: true });
        fs.writeFileSync(path.join(local, f.key), await get(f.key));
      }
    }
    await expectLakeEqualsPostgres(local);
  });

  it('trawl export writes the lake too when LAKE_TARGET is set; --lake alone needs it', async () => {
    const env = { DATABASE_URL: testDb.url, TRAWL_DATA_DIR: path.join(dir, 'data'), EXPORT_TARGET: `file://${dir}/cli-public`, LAKE_TARGET: `file://${dir}/cli-lake`, TRAWL_NOW: demoDayTime(4).toISOString() };
    const both = await runCli(['export'], { env });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toMatch(/^export \S+ to .*cli-public.*\nlake to .*cli-lake: \d+ Parquet file\(s\), \d+ written, 0 unchanged, 0 removed; rows: currencies \d+, games \d+, listings \d+, prices \d+, stores \d+; time/);
    expect(fs.existsSync(path.join(dir, 'cli-public/v1/manifest.json'))).toBe(true);
    await expectLakeEqualsPostgres(path.join(dir, 'cli-lake'));

    const lakeOnly = await runCli(['export', '--lake'], { env: { ...env, LAKE_TARGET: '' } });
    expect(lakeOnly.code).toBe(2);
    expect(lakeOnly.stderr).toContain('LAKE_TARGET is not set');
  });

  it('a table whose query breaks its header fails the lake export clearly and leaves the published manifest', async () => {
    const root = path.join(dir, 'lake');
    const before = fs.readFileSync(path.join(root, 'manifest.json'), 'utf8');
    const bad = parseLakeDefinition('games.sql', '-- table: games\n-- description: d\n-- columns: game_id VARCHAR\nSELECT game_id, game_title FROM mart.games');
    await expect(lake({ definitions: [bad] })).rejects.toThrow('lake games.sql: the query returns columns [game_id, game_title] but its header declares [game_id]');
    expect(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')).toBe(before);
    expect(() => parseLakeDefinition('x.sql', '-- table: x\n-- description: d\n-- columns: a TEXT\nSELECT 1 AS a')).toThrow('column a has type TEXT');
    expect(() => parseLakeDefinition('x.sql', '-- table: x\n-- description: d\n-- partition_by: b\n-- columns: a VARCHAR, b VARCHAR\nSELECT 1 AS a, 2 AS b')).toThrow('partition column b must be column 1');
  });
});
