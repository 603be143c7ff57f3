// staging.key_counts: kept by triggers whoever writes key_state, and backfilled by its migration on a
// warehouse that already has keys.
import fs from 'node:fs';
import { runner } from 'node-pg-migrate';
import { expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { keyCounts } from '../helpers/data-state.ts';
import { writeRawFile } from '../helpers/raw-files.ts';
import { freshDatabaseEachTest } from '../helpers/test-database.ts';

const fresh = freshDatabaseEachTest('key-counts');

it('counts keys written by hand as well as by ingest: inserted, deleted, truncated', async () => {
  const q = (sql: string) => fresh.database.pool.query(sql);
  // As bench/lib/synthetic-offers.ts writes history: straight into key_state, in two statements.
  const insert = (source: string, keys: number) =>
    q(`INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at)
       SELECT '${source}', 'offer', 'k' || g, 'all', 1, '\\x00', 1, false, now() FROM generate_series(1, ${keys}) g`);
  await insert('shop', 3);
  await insert('mall', 2);
  await q("INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at) VALUES ('shop', 'offer', 'extra', 'all', 1, '\\x00', 1, false, now())");
  expect((await keyCounts(fresh.database.pool)).kept).toEqual(['mall/offer: 2', 'shop/offer: 4']);
  await q("DELETE FROM staging.key_state WHERE source = 'shop' AND key IN ('k1', 'extra')");
  const counts = await keyCounts(fresh.database.pool);
  expect(counts.kept).toEqual(['mall/offer: 2', 'shop/offer: 2']);
  expect(counts.kept).toEqual(counts.actual);
  await q('TRUNCATE staging.key_state');
  expect((await keyCounts(fresh.database.pool)).kept).toEqual([]);
});

it('counts the keys a warehouse already has, and goes down cleanly', async () => {
  const at = new Date(Date.UTC(2026, 0, 1, 6)).toISOString();
  for (const [source, n] of [['shop', 3], ['mall', 2]] as const) {
    const file = writeRawFile(fresh.rawDir, source, Array.from({ length: n }, (_, i) => ({ key: `k${i}`, at, data: { amount: i } })));
    await ingestFile({ pool: fresh.database.pool, rawDir: fresh.rawDir, file, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
  }
  // Down to before the migration, then up again, as on a warehouse that predates it.
  const names = fs.readdirSync(MIGRATIONS_DIR).sort();
  const count = names.length - names.findIndex((n) => n.endsWith('_key-counts.sql'));
  const migrate = (direction: 'up' | 'down') =>
    runner({ databaseUrl: fresh.database.url, dir: MIGRATIONS_DIR, direction, count, migrationsTable: 'pgmigrations', log: () => undefined });
  await migrate('down');
  const { rows } = await fresh.database.pool.query("SELECT to_regclass('staging.key_counts') AS t");
  expect(rows[0].t).toBeNull();
  await migrate('up');
  const counts = await keyCounts(fresh.database.pool);
  expect(counts.kept).toEqual(['mall/offer: 2', 'shop/offer: 3']);
  expect(counts.kept).toEqual(counts.actual);
});
