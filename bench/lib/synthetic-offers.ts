// Synthetic offer history for benchmarks: inserted straight into staging (fast), and a later day's
// changes ingested through trawl's own ingest, as a crawl would land them.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { silentLogger } from '../../src/lib/logger.ts';
import { ingestFile } from '../../src/staging/ingest.ts';

export const DAY0 = Date.UTC(2026, 0, 1, 6);

export interface SyntheticShape {
  listings: number;
  stores: number;
  /** Listings sharing one title (so one game across stores). */
  listingsPerGame: number;
  versions: number;
  /** A listing's price changes every this many days, from its own offset. */
  everyDays: number;
}

const store = (i: number, s: SyntheticShape) => `store${i % s.stores}`;

/**
 * Titles like a store's ("Crimson Harbor Tactics"): three words picked by the game's number, distinct
 * for up to 97 x 89 x 83 games, so that a search index over them has a real title's spread of words.
 * SQL (insertPriceHistory) and JS (ingestOnePercentChange) pick the same words.
 */
const WORDS = [
  'Crimson', 'Harbor', 'Tactics', 'Shadow', 'Empire', 'Legends', 'Star', 'Forge', 'Quest', 'Night', 'Iron', 'Garden', 'Dungeon', 'Racing',
  'Island', 'Kingdom', 'Galaxy', 'Hollow', 'Knight', 'Ember', 'Frontier', 'Arcade', 'Tower', 'Drift', 'Saga', 'Rogue', 'Valley', 'Storm',
  'Pixel', 'Odyssey', 'Station', 'Chronicles', 'Siege', 'Wander', 'Echo', 'Harvest', 'Nova', 'Abyss', 'Colony', 'Dragon', 'Frost', 'Lantern',
  'Machina', 'Orbit', 'Paper', 'Quiet', 'Relic', 'Summit', 'Tundra', 'Umbra', 'Vortex', 'Wild', 'Zero', 'Atlas', 'Beacon', 'Cinder', 'Delta',
  'Eclipse', 'Fable', 'Golem', 'Horizon', 'Inferno', 'Jade', 'Karma', 'Labyrinth', 'Meridian', 'Nomad', 'Oracle', 'Phantom', 'Quarry', 'Rift',
  'Solace', 'Titan', 'Unity', 'Vanguard', 'Warden', 'Xenon', 'Yonder', 'Zenith', 'Anchor', 'Bastion', 'Cascade', 'Dynasty', 'Elysium',
  'Fortune', 'Glacier', 'Haven', 'Ivory', 'Jungle', 'Keystone', 'Lunar', 'Mosaic', 'Nebula', 'Outpost', 'Pioneer', 'Quantum', 'Radiant',
];
export const titleOf = (game: number) => `${WORDS[game % 97]} ${WORDS[Math.floor(game / 97) % 89]} ${WORDS[Math.floor(game / 8633) % 83]}`;
const title = (i: number, s: SyntheticShape) => titleOf(Math.floor(i / s.listingsPerGame));

/** `versions` versions per listing in staging.versions and its current one in key_state. */
export async function insertPriceHistory(pool: pg.Pool, s: SyntheticShape): Promise<void> {
  const { rows } = await pool.query(`INSERT INTO staging.raw_files (path, source, finished, complete) VALUES ('bench/history.jsonl', 'bench', true, true) RETURNING id`);
  await pool.query(
    `INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, valid_from, valid_to, last_seen_at, raw_file_id, raw_line)
     SELECT st, 'offer', st || ':' || i || ':us', 'us', v, sha256(convert_to(i || ':' || v, 'UTF8')), 1,
            jsonb_build_object('store', st, 'store_item_id', i::text, 'title', ($8::text[])[1 + (i / $4) % 97] || ' ' || ($8::text[])[1 + (i / $4 / 97) % 89] || ' ' || ($8::text[])[1 + (i / $4 / 8633) % 83], 'url', 'https://' || st || '.example/' || i,
                               'region', 'us', 'currency', 'USD', 'status', 'available', 'amount', 1000 + ((i * 7 + v * 13) % 4000), 'regular_amount', 5000),
            to_timestamp($2 / 1000.0) + ((v - 1) * $6 + i % $6) * interval '1 day',
            CASE WHEN v < $5 THEN to_timestamp($2 / 1000.0) + (v * $6 + i % $6) * interval '1 day' END,
            to_timestamp($2 / 1000.0) + ((v - 1) * $6 + i % $6) * interval '1 day',
            $1, i
     FROM generate_series(1, $3) i, generate_series(1, $5) v, LATERAL (SELECT 'store' || (i % $7) AS st) s`,
    [rows[0].id, DAY0, s.listings, s.listingsPerGame, s.versions, s.everyDays, s.stores, WORDS],
  );
  await pool.query(
    `INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at)
     SELECT source, entity, key, partition, version, hash, 1, false, valid_from FROM staging.versions WHERE valid_to IS NULL`,
  );
  await pool.query('ANALYZE');
}

/** Every 100th listing gets a new price on `day`, written as a raw file and ingested; returns its time. */
export async function ingestOnePercentChange(pool: pg.Pool, dir: string, s: SyntheticShape, day: number): Promise<{ at: string; changed: number }> {
  const at = new Date(DAY0 + day * 86_400_000).toISOString();
  const file = path.join(dir, 'raw', 'bench', `day${day}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = [];
  for (let i = 1; i <= s.listings; i += 100) {
    const st = store(i, s);
    lines.push(JSON.stringify({
      source: st, entity: 'offer', key: `${st}:${i}:us`, partition: 'us', observed_at: at, url: null, source_fields: null,
      data: { store: st, store_item_id: String(i), title: title(i, s), url: `https://${st}.example/${i}`, region: 'us', currency: 'USD', status: 'available', amount: 999, regular_amount: 5000 },
    }));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await ingestFile({ pool, rawDir: path.join(dir, 'raw'), file, rules: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
  if (r.newVersions !== lines.length) throw new Error(`expected ${lines.length} new versions, got ${r.newVersions}`);
  return { at, changed: lines.length };
}
