// ETL benchmark: 100,000 listings with 30 days of price history in staging; a full build, then an
// incremental build after 1% of prices change (ingested like any raw file), then one game's history.
// Options: --listings N (default 100000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEtl } from '../src/etl/run-etl.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { benchDatabase } from './lib/bench-db.ts';
import { report, round } from './lib/report.ts';
import { ingestOnePercentChange, insertPriceHistory } from './lib/synthetic-offers.ts';


export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const listings = Number(opts.listings ?? 100_000);
  const { database, close } = await benchDatabase('etl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-bench-etl-'));
  try {
    const pool = database.pool;
    console.error(`etl bench: generating ${listings.toLocaleString()} listings x 30 days of history in staging`);
    // Five stores, three listings per title, a price change every 6 days: about 5 versions in 30 days.
    const shape = { listings, stores: 5, listingsPerGame: 3, versions: 5, everyDays: 6 };
    await insertPriceHistory(pool, shape);
    const versions = (await pool.query('SELECT count(*)::int AS n FROM staging.versions')).rows[0].n as number;

    console.error('etl bench: full build');
    let t = performance.now();
    await runEtl({ database, log: silentLogger, full: true });
    const fullS = (performance.now() - t) / 1000;
    await pool.query('ANALYZE');

    console.error('etl bench: 1% of prices change');
    await ingestOnePercentChange(pool, dir, shape, 31);
    t = performance.now();
    const inc = await runEtl({ database, log: silentLogger });
    const incrementalS = (performance.now() - t) / 1000;

    console.error('etl bench: one game\'s price history');
    const gameId = (await pool.query(`SELECT game_id FROM core.listings WHERE store_item_id = '4242'`)).rows[0].game_id as string;
    const sql = 'SELECT * FROM mart.price_history WHERE game_id = $1 ORDER BY store_id, valid_from';
    const explain = 'EXPLAIN SELECT * FROM mart.price_history WHERE game_id = $1 ORDER BY store_id, valid_from';
    const times: number[] = [];
    let historyRows = 0;
    for (let k = 0; k < 30; k++) {
      t = performance.now();
      historyRows = (await pool.query(sql, [gameId])).rowCount ?? 0;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const historyMs = times[Math.floor(times.length / 2)]!;
    const plan = (await pool.query(explain, [gameId])).rows.map((r) => r['QUERY PLAN'] as string);
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
