// The 3NF core, marts, checks and analyst access, against real Postgres.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { lockSourcesForWrite } from '../../src/db/locks.ts';
import { CHECKS_DIR, EtlCheckError, runChecks, runEtl } from '../../src/etl/run-etl.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { writeRawFile, type Obs } from '../helpers/raw-files.ts';
import { freshDatabaseEachTest } from '../helpers/test-database.ts';

const fresh = freshDatabaseEachTest('warehouse');

const T = (day: number, hour = 6) => new Date(Date.UTC(2026, 0, day, hour)).toISOString();

interface OfferIn {
  store: string;
  item: string;
  title: string;
  amount: number | null;
  regular?: number | null;
  steam?: number;
  region?: string;
  currency?: string;
  status?: string;
}

const offer = (o: OfferIn) => ({
  store: o.store,
  store_item_id: o.item,
  title: o.title,
  url: `https://${o.store}.example/${o.item}`,
  region: o.region ?? 'us',
  currency: o.currency ?? 'USD',
  status: o.status ?? (o.amount === null ? 'unavailable' : 'available'),
  amount: o.amount,
  regular_amount: o.regular ?? null,
  ...(o.steam ? { steam_app_id: o.steam } : {}),
});

async function observe(source: string, at: string, offers: OfferIn[], complete?: boolean) {
  const obs: Obs[] = offers.map((o) => ({ key: `${source}:${o.store}:${o.item}:${o.region ?? 'us'}`, at, data: offer(o) }));
  const file = writeRawFile(fresh.rawDir, source, obs, complete === undefined ? undefined : { complete });
  return ingestFile({ pool: fresh.database.pool, rawDir: fresh.rawDir, file, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
}

const etl = (full = false) => runEtl({ database: fresh.database, log: silentLogger, full });
const q = async (sql: string, params: unknown[] = []) => (await fresh.database.pool.query(sql, params)).rows;

async function coreState() {
  return {
    games: await q('SELECT * FROM core.games ORDER BY game_id'),
    listings: await q('SELECT * FROM core.listings ORDER BY listing_id'),
    aliases: await q('SELECT * FROM core.game_aliases ORDER BY alias_id'),
    prices: await q('SELECT * FROM core.prices ORDER BY listing_id, region_code, currency, source, valid_from'),
  };
}

describe('core model', () => {
  it('matches listings across stores by Steam app id, then by normalised title, and says which rule linked each', async () => {
    await observe('steam', T(1), [{ store: 'steam', item: '570', title: 'Dota 2', amount: 0, status: 'free', steam: 570 }]);
    await observe('cheapshark', T(1), [{ store: 'gog', item: 'dota-2', title: 'DOTA 2™', amount: 999, regular: 1999, steam: 570 }]);
    await observe('gog', T(1), [
      { store: 'gog', item: 'dota-2-goty', title: 'Dota 2', amount: 1499 },
      { store: 'gog', item: 'portal', title: 'Portal', amount: 999 },
    ]);
    await etl();
    const rows = await q(`SELECT l.store_item_id, l.match_rule, g.natural_key FROM core.listings l JOIN core.games g USING (game_id) ORDER BY 1`);
    expect(rows).toEqual([
      { store_item_id: '570', match_rule: 'steam_app_id', natural_key: 'steam:570' },
      { store_item_id: 'dota-2', match_rule: 'steam_app_id', natural_key: 'steam:570' },
      { store_item_id: 'dota-2-goty', match_rule: 'normalised_title_to_steam', natural_key: 'steam:570' },
      { store_item_id: 'portal', match_rule: 'normalised_title', natural_key: 'title:portal' },
    ]);
    // Free is a zero price; not for sale is never one.
    expect(await q(`SELECT status, amount FROM core.prices WHERE source = 'steam'`)).toEqual([{ status: 'free', amount: 0 }]);
  });

  it('files an aggregator\'s price under the store\'s listing and prefers the store\'s own spider', async () => {
    await observe('cheapshark', T(1), [{ store: 'steam', item: '620', title: 'Portal 2', amount: 199, regular: 999, steam: 620 }]);
    await observe('steam', T(1), [{ store: 'steam', item: '620', title: 'Portal 2', amount: 249, regular: 999, steam: 620 }]);
    await etl();
    expect(await q(`SELECT source, amount FROM core.prices ORDER BY source`)).toEqual([
      { source: 'cheapshark', amount: 199 },
      { source: 'steam', amount: 249 },
    ]);
    expect(await q(`SELECT source, amount FROM mart.current_prices`)).toEqual([{ source: 'steam', amount: 249 }]);
  });

  it('keeps a merged game\'s id as an alias of the survivor', async () => {
    await observe('gog', T(1), [{ store: 'gog', item: 'hk', title: 'Hollow Knight', amount: 1499 }]);
    await etl();
    const [before] = await q('SELECT game_id FROM core.listings');
    await observe('gog', T(2), [{ store: 'gog', item: 'hk', title: 'Hollow Knight', amount: 1499, steam: 367520 }]);
    await etl();
    const [after] = await q('SELECT game_id FROM core.listings');
    expect(after.game_id).not.toBe(before.game_id);
    expect(await q('SELECT alias_id, game_id FROM core.game_aliases')).toEqual([{ alias_id: before.game_id, game_id: after.game_id }]);
    expect(await q('SELECT game_id FROM core.games')).toEqual([{ game_id: after.game_id }]);
  });

  it('models a delisted listing and unpurchasable offers explicitly, never as a zero price', async () => {
    await observe('shop', T(1), [
      { store: 'shop', item: 'a', title: 'A', amount: 500 },
      { store: 'shop', item: 'b', title: 'B', amount: null, status: 'unavailable' },
      { store: 'shop', item: 'c', title: 'C', amount: null, status: 'subscription' },
    ], true);
    await observe('shop', T(2), [
      { store: 'shop', item: 'b', title: 'B', amount: null, status: 'unavailable' },
      { store: 'shop', item: 'c', title: 'C', amount: null, status: 'subscription' },
    ], true);
    await etl();
    expect(await q(`SELECT l.store_item_id, p.status, p.amount FROM mart.current_prices p JOIN core.listings l USING (listing_id) ORDER BY 1`)).toEqual([
      { store_item_id: 'a', status: 'delisted', amount: null },
      { store_item_id: 'b', status: 'unavailable', amount: null },
      { store_item_id: 'c', status: 'subscription', amount: null },
    ]);
  });

  it('leads from a price back to the raw file line it came from', async () => {
    await observe('shop', T(1), [{ store: 'shop', item: 'a', title: 'A', amount: 500 }, { store: 'shop', item: 'b', title: 'B', amount: 700 }]);
    await etl();
    const [row] = await q(`SELECT l.raw_file, l.raw_line, p.amount FROM mart.price_lineage l JOIN core.prices p USING (staging_version_id) WHERE p.amount = 700`);
    const line = fs.readFileSync(path.join(fresh.rawDir, row.raw_file), 'utf8').split('\n')[row.raw_line - 1]!;
    expect(JSON.parse(line).data).toMatchObject({ store_item_id: 'b', amount: 700 });
  });
});

describe('incremental ETL', () => {
  it('gives the same core as a full rebuild', async () => {
    await observe('steam', T(1), [{ store: 'steam', item: '1', title: 'One', amount: 100, steam: 1 }, { store: 'steam', item: '2', title: 'Two', amount: 200, steam: 2 }], true);
    await etl();
    await observe('gog', T(2), [{ store: 'gog', item: 'one', title: 'ONE', amount: 90 }, { store: 'gog', item: 'three', title: 'Three', amount: 300 }], true);
    await etl();
    await observe('steam', T(3), [{ store: 'steam', item: '1', title: 'One', amount: 80, regular: 100, steam: 1 }], true);
    await observe('gog', T(3), [{ store: 'gog', item: 'three', title: 'Three', amount: 300, steam: 3 }], true);
    const inc = await etl();
    expect(inc.keys).toBeLessThan(6);
    const incremental = await coreState();
    await etl(true);
    expect(await coreState()).toEqual(incremental);
  });

  it('never skips a version: a writer of another source may commit higher ids first', async () => {
    await observe('shop', T(1), [{ store: 'shop', item: 'a', title: 'A', amount: 1 }]);
    await etl();
    // A writer of source 'slow' holds an uncommitted version, as a slow ingest would.
    const slow = new pg.Client({ connectionString: fresh.database.url });
    await slow.connect();
    await slow.query('BEGIN');
    await lockSourcesForWrite(slow, ['slow']);
    await slow.query(
      `INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, valid_from, last_seen_at, raw_file_id, raw_line)
       SELECT 'slow', entity, 'slow:shop:slow:us', partition, 1, hash, hash_version,
              jsonb_set(jsonb_set(data, '{store_item_id}', '"slow"'), '{title}', '"Slow"'), valid_from, last_seen_at, raw_file_id, raw_line
       FROM staging.versions LIMIT 1`,
    );
    // An ingest of another source does not wait for it, and commits a higher id first.
    await observe('shop', T(2), [{ store: 'shop', item: 'b', title: 'B', amount: 2 }]);
    const [ids] = await q(`SELECT max(id)::int AS max FROM staging.versions`);
    // The ETL waits until no writer is in flight before it takes its snapshot.
    let etlDone = false;
    const waiting = etl().then((r) => {
      etlDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(etlDone).toBe(false);
    // A second writer of 'slow' waits for the first.
    const again = new pg.Client({ connectionString: fresh.database.url });
    await again.connect();
    await again.query('BEGIN');
    let againLocked = false;
    const locking = lockSourcesForWrite(again, ['slow']).then(() => (againLocked = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(againLocked).toBe(false);
    await slow.query('COMMIT');
    await slow.end();
    await locking;
    await again.query('ROLLBACK');
    await again.end();
    const result = await waiting;
    // The slow version's id is the lower one, committed last, and the ETL took both.
    const [slowId] = await q(`SELECT id::int FROM staging.versions WHERE source = 'slow'`);
    expect(slowId!.id).toBeLessThan(ids!.max);
    expect(result.toWatermark).toBe(ids!.max);
    const [{ n }] = await q(`SELECT count(*)::int AS n FROM staging.versions v WHERE NOT EXISTS (SELECT 1 FROM core.prices p WHERE p.staging_version_id = v.id)`);
    expect(n).toBe(0);
  });
});

describe('data checks', () => {
  beforeEach(async () => {
    await observe('shop', T(1), [{ store: 'shop', item: 'a', title: 'A', amount: 500 }, { store: 'shop', item: 'b', title: 'B', amount: 700 }]);
    await observe('shop', T(2), [{ store: 'shop', item: 'a', title: 'A', amount: 400 }]);
    await etl();
  });

  // Each check is shown to fire by breaking the data with the constraint that would stop it dropped.
  const breakages: [string, string[]][] = [
    ['one_current_price', ['DROP INDEX core.prices_one_current', `UPDATE core.prices SET valid_to = NULL`]],
    ['no_overlapping_validity', [`UPDATE core.prices SET valid_to = valid_to + interval '1 hour' WHERE valid_to IS NOT NULL`]],
    ['no_gaps_between_versions', [`UPDATE core.prices SET valid_to = valid_to - interval '1 hour' WHERE valid_to IS NOT NULL`]],
    ['foreign_keys', ['ALTER TABLE core.listings DROP CONSTRAINT listings_game_id_fkey', `UPDATE core.listings SET game_id = 'g_missing' WHERE store_item_id = 'b'`]],
    ['non_negative_amounts', ['ALTER TABLE core.prices DROP CONSTRAINT prices_amount_check', `UPDATE core.prices SET amount = -1 WHERE amount = 700`]],
    ['known_currencies', ['ALTER TABLE core.prices DROP CONSTRAINT prices_currency_fkey', `UPDATE core.prices SET currency = 'XXX' WHERE amount = 700`]],
  ];

  it.each(breakages)('%s fires on broken data', async (check, statements) => {
    const client = await fresh.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE etl_scope ON COMMIT DROP AS SELECT listing_id FROM core.listings');
      expect(await runChecks(client)).toHaveLength(6);
      for (const s of statements) await client.query(s);
      const err = await runChecks(client, CHECKS_DIR, `${check}.sql`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EtlCheckError);
      expect((err as EtlCheckError).check).toMatch(new RegExp(`^${check} \\(`));
      expect((err as EtlCheckError).samples.length).toBeGreaterThan(0);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('a failing check rolls the ETL back and fails the run, naming the check', async () => {
    await fresh.database.pool.query('ALTER TABLE core.prices DROP CONSTRAINT prices_currency_fkey');
    await observe('shop', T(3), [{ store: 'shop', item: 'c', title: 'C', amount: 900, currency: 'USD' }]);
    // A currency the model does not know slips past validation only because these lines have no spider.
    await observe('shop', T(3), [{ store: 'shop', item: 'd', title: 'D', amount: 900, currency: 'XXX' }]);
    const before = await coreState();
    const watermark = await q('SELECT watermark FROM ops.etl_state');
    await expect(etl()).rejects.toThrow(/data check known_currencies \(every price's currency is a known ISO 4217 currency\) failed: \[\{"listing_id"/);
    expect(await coreState()).toEqual(before);
    expect(await q('SELECT watermark FROM ops.etl_state')).toEqual(watermark);
    expect(await q(`SELECT status, message FROM ops.runs WHERE step = 'etl' ORDER BY id DESC LIMIT 1`)).toMatchObject([{ status: 'failed' }]);
  });
});

describe('marts', () => {
  it('historical lows ignore a one-off typo price; best price picks the cheapest store now', async () => {
    const at = (d: number, h: number) => T(d, h);
    await observe('shop', at(1, 0), [{ store: 'shop', item: 'x', title: 'X', amount: 1000 }]);
    await observe('shop', at(1, 2), [{ store: 'shop', item: 'x', title: 'X', amount: 10 }]); // typo, fixed within hours
    await observe('shop', at(1, 4), [{ store: 'shop', item: 'x', title: 'X', amount: 1000 }]);
    await observe('shop', at(5, 0), [{ store: 'shop', item: 'x', title: 'X', amount: 800, regular: 1000 }]);
    await observe('other', at(5, 0), [{ store: 'other', item: 'x', title: 'X', amount: 850 }]);
    await etl();
    expect(await q(`SELECT low_all_time, low_90_days FROM mart.historical_lows_by_store WHERE store_id = 'shop'`)).toEqual([{ low_all_time: 800, low_90_days: 800 }]);
    expect(await q(`SELECT low_all_time FROM mart.historical_lows`)).toEqual([{ low_all_time: 800 }]);
    expect(await q(`SELECT store_id, amount FROM mart.best_prices`)).toEqual([{ store_id: 'shop', amount: 800 }]);
    expect(await q(`SELECT store_id, discount_pct FROM mart.deals`)).toEqual([{ store_id: 'shop', discount_pct: 20 }]);
  });
});

describe('analyst access', () => {
  it('trawl_analyst reads core and mart, cannot read staging, and cannot write', async () => {
    await observe('shop', T(1), [{ store: 'shop', item: 'a', title: 'A', amount: 500 }]);
    await etl();
    const client = await fresh.database.pool.connect();
    try {
      await client.query('SET ROLE trawl_analyst');
      expect((await client.query('SELECT count(*)::int AS n FROM mart.current_prices')).rows[0].n).toBe(1);
      expect((await client.query('SELECT count(*)::int AS n FROM core.games')).rows[0].n).toBe(1);
      for (const sql of [
        `INSERT INTO core.stores (store_id, name) VALUES ('evil', 'Evil')`,
        `UPDATE core.prices SET amount = 0`,
        `DELETE FROM core.games`,
        `SELECT * FROM staging.versions`,
        `CREATE TABLE mart.mine (x int)`,
      ]) {
        await expect(client.query(sql)).rejects.toThrow(/permission denied/);
      }
    } finally {
      await client.query('RESET ROLE');
      client.release();
    }
  });

  it('every table, view and column in staging, core, mart and ops has a comment', async () => {
    const missing = await q(`
      SELECT c.table_schema || '.' || c.table_name || '.' || c.column_name AS name
      FROM information_schema.columns c
      JOIN pg_class k ON k.relname = c.table_name JOIN pg_namespace n ON n.oid = k.relnamespace AND n.nspname = c.table_schema
      WHERE c.table_schema IN ('staging', 'core', 'mart', 'ops') AND col_description(k.oid, c.ordinal_position) IS NULL
      UNION ALL
      SELECT n.nspname || '.' || k.relname FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
      WHERE n.nspname IN ('staging', 'core', 'mart', 'ops') AND k.relkind IN ('r', 'v') AND obj_description(k.oid, 'pg_class') IS NULL`);
    expect(missing).toEqual([]);
  });
});
