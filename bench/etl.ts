// ETL benchmark: 100,000 listings with 30 days of price history in staging; a full build, then an
// incremental build after 1% of prices change (ingested like any raw file), then one game's history.
// Options: --listings N (default 100000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEtl } from '../src/etl/run-etl.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { ingestFile } from '../src/staging/ingest.ts';
import { benchDatabase } from './lib/bench-db.ts';
import { report, round } from './lib/report.ts';

const DAY0 = Date.UTC(2026, 0, 1, 6);

export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const listings = Number(opts.listings ?? 100_000);
  const { database, close } = await benchDatabase('etl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-bench-etl-'));
  try {
    const pool = database.pool;
    console.error(`etl bench: generating ${listings.toLocaleString()} listings x 30 days of history in staging`);
    const { rows } = await pool.query(`INSERT INTO staging.raw_files (path, source, finished, complete) VALUES ('bench/history.jsonl', 'bench', true, true) RETURNING id`);
    // Each listing changes price every 6 days from its own offset: about 5 versions in 30 days.
    await pool.query(
      `INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, valid_from, valid_to, last_seen_at, raw_file_id, raw_line)
       SELECT 'store' || (i % 5), 'offer', 'store' || (i % 5) || ':' || i || ':us', 'us', v,
              sha256(convert_to(i || ':' || v, 'UTF8')), 1,
              jsonb_build_object('store', 'store' || (i % 5), 'store_item_id', i::text, 'title', 'Game ' || (i / 3),
                                 'url', 'https://store' || (i % 5) || '.example/' || i, 'region', 'us', 'currency', 'USD',
                                 'status', 'available', 'amount', 1000 + ((i * 7 + v * 13) % 4000), 'regular_amount', 5000),
              to_timestamp($2 / 1000.0) + ((v - 1) * 6 + i % 6) * interval '1 day',
              CASE WHEN v < 5 THEN to_timestamp($2 / 1000.0) + (v * 6 + i % 6) * interval '1 day' END,
              to_timestamp($2 / 1000.0) + ((v - 1) * 6 + i % 6) * interval '1 day',
              $1, i
       FROM generate_series(1, $3) i, generate_series(1, 5) v`,
      [rows[0].id, DAY0, listings],
    );
    await pool.query(
      `INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at)
       SELECT source, entity, key, partition, version, hash, 1, false, to_timestamp($1 / 1000.0) + interval '30 days'
       FROM staging.versions WHERE valid_to IS NULL`,
      [DAY0],
    );
    await pool.query('ANALYZE');
    const versions = (await pool.query('SELECT count(*)::int AS n FROM staging.versions')).rows[0].n as number;

    console.error('etl bench: full build');
    let t = performance.now();
    await runEtl({ database, log: silentLogger, full: true });
    const fullS = (performance.now() - t) / 1000;
    await pool.query('ANALYZE');

    console.error('etl bench: 1% of prices change');
    const changed = Math.round(listings / 100);
    const at = new Date(DAY0 + 31 * 86_400_000).toISOString();
    const file = path.join(dir, 'raw', 'bench', 'day31.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lines = [];
    for (let k = 0; k < changed; k++) {
      const i = 1 + k * 100;
      const store = `store${i % 5}`;
      lines.push(JSON.stringify({
        source: store, entity: 'offer', key: `${store}:${i}:us`, partition: 'us', observed_at: at, url: null,
        data: { store, store_item_id: String(i), title: `Game ${Math.floor(i / 3)}`, url: `https://${store}.example/${i}`, region: 'us', currency: 'USD', status: 'available', amount: 999, regular_amount: 5000 },
        source_fields: null,
      }));
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const ingested = await ingestFile({ pool, rawDir: path.join(dir, 'raw'), file, spiders: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
    if (ingested.newVersions !== changed) throw new Error(`expected ${changed} new versions, got ${ingested.newVersions}`);
    t = performance.now();
    const inc = await runEtl({ database, log: silentLogger });
    const incrementalS = (performance.now() - t) / 1000;

    console.error('etl bench: one game\'s price history');
    const gameId = (await pool.query(`SELECT game_id FROM core.listings WHERE store_item_id = '4242'`)).rows[0].game_id as string;
    const sql = 'SELECT * FROM mart.price_history WHERE game_id = $1 ORDER BY store_id, valid_from';
    const times: number[] = [];
    let historyRows = 0;
    for (let k = 0; k < 30; k++) {
      t = performance.now();
      historyRows = (await pool.query(sql, [gameId])).rowCount ?? 0;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const historyMs = times[Math.floor(times.length / 2)]!;
    const plan = (await pool.query('EXPLAIN ' + sql, [gameId])).rows.map((r) => r['QUERY PLAN'] as string);
    const usesIndex = plan.some((l) => /Index (Only )?Scan|Bitmap Index Scan/.test(l)) && !plan.some((l) => /Seq Scan on prices/.test(l));
    console.log('\nEXPLAIN of one game\'s price history:\n' + plan.join('\n'));

    report(`etl: ${listings.toLocaleString()} listings, ${versions.toLocaleString()} staging versions`, [
      { step: 'full build', seconds: round(fullS), 'x full': 1, target: '-' },
      { step: `incremental after 1% change (${inc.keys} keys)`, seconds: round(incrementalS, 3), 'x full': round(incrementalS / fullS, 4), target: '<= 0.05' },
      { step: `one game's history (${historyRows} rows, median of 30)`, seconds: round(historyMs / 1000, 4), 'x full': '-', target: '<= 0.005 s, index' },
    ], {
      listings,
      versions,
      full_s: round(fullS),
      incremental_s: round(incrementalS, 3),
      ratio_incremental_to_full: round(incrementalS / fullS, 4),
      history_query_ms: round(historyMs, 2),
      history_query_uses_index: usesIndex,
    });
  } finally {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
