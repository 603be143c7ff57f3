// Export benchmark: 100,000 games fanned out (one history object each) plus the lists, to a real
// S3-API server on loopback; then again after 1% of prices change, counting the requests.
// Options: --games N (default 100000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEtl } from '../src/etl/run-etl.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';
import { benchDatabase } from './lib/bench-db.ts';
import { printTable, report, round, runChild } from './lib/report.ts';
import { measurePage } from './lib/page-bytes.ts';
import { DAY0, ingestOnePercentChange, insertPriceHistory, titleOf } from './lib/synthetic-offers.ts';

/** The public page's budget per screen and per search, as stored (issue: public side). */
const PAGE_KB_TARGET = 300;


export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const games = Number(opts.games ?? 100_000);
  const s3 = await startS3Server(['bench']);
  const { database, url, close } = await benchDatabase('export');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-bench-export-'));
  try {
    const pool = database.pool;
    console.error(`export bench: ${games.toLocaleString()} games with 3 prices each`);
    // One store, one listing per game, a price change every 10 days: 3 versions each.
    const shape = { listings: games, stores: 1, listingsPerGame: 1, versions: 3, everyDays: 10 };
    await insertPriceHistory(pool, shape);
    await runEtl({ database, log: silentLogger, full: true });
    await pool.query('ANALYZE');

    const env = { ...process.env, DATABASE_URL: url, EXPORT_TARGET: 's3://bench/public', S3_ENDPOINT: s3.endpoint, TRAWL_NOW: new Date(DAY0 + 30 * 86_400_000).toISOString() };
    console.error('export bench: first export');
    const first = await runChild('bench/export-child.ts', [], env);

    // The page as a reader's browser loads it from the bucket: the first screen, then searches for a
    // word every game's title shares the first letters of, a rare word, and a whole title.
    console.error('export bench: the public page in Chromium');
    const queries = [titleOf(0).split(' ')[0]!.slice(0, 2), titleOf(games - 1).split(' ')[2]!, titleOf(Math.floor(games / 2)).toLowerCase()];
    const page = await measurePage(`${s3.endpoint}/bench/public/index.html`, process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', queries);

    console.error('export bench: 1% of prices change');
    const { at } = await ingestOnePercentChange(pool, dir, shape, 31);
    await runEtl({ database, log: silentLogger });
    console.error('export bench: second export');
    const second = await runChild('bench/export-child.ts', [], { ...env, TRAWL_NOW: at });

    const requests = (r: Record<string, number>) => r.puts! + r.copies!;
    printTable(`export: ${games.toLocaleString()} game objects + lists to a loopback S3 server (s3rver)`, [
      { run: 'first', objects: first.objects!, 'objects/s': Math.round(first.objects! / (first.ms! / 1000)), 'PUT + copy requests': requests(first), 'peak RSS MB': round(first.rssMb!, 0), 'heap / buffers MB': `${round(first.heapMb!, 0)} / ${round(first.externalMb!, 0)}`, target: '<= 250 MB' },
      { run: 'after 1% change', objects: second.objects!, 'objects/s': Math.round(second.objects! / (second.ms! / 1000)), 'PUT + copy requests': requests(second), 'peak RSS MB': round(second.rssMb!, 0), 'heap / buffers MB': `${round(second.heapMb!, 0)} / ${round(second.externalMb!, 0)}`, target: `changed ${second.uploaded} + manifest` },
    ]);
    report(`the public page at ${games.toLocaleString()} games, bytes fetched as stored (Chromium, from the S3 server)`, [
      { what: 'first screen', 'KB fetched': round(page.firstScreenKb, 1), objects: page.firstScreenObjects.length, target: `<= ${PAGE_KB_TARGET} KB`, 'of target': round(page.firstScreenKb / PAGE_KB_TARGET, 2) },
      ...page.searches.map((q) => ({ what: `search "${q.query}" (${q.results} games shown)`, 'KB fetched': round(q.kb, 1), objects: q.objects.length, target: `<= ${PAGE_KB_TARGET} KB`, 'of target': round(q.kb / PAGE_KB_TARGET, 2) })),
    ], {
      page_first_screen_kb: round(page.firstScreenKb, 1),
      page_search_kb: round(Math.max(...page.searches.map((q) => q.kb)), 1),
      objects: first.objects!,
      objects_per_s: Math.round(first.objects! / (first.ms! / 1000)),
      peak_rss_mb: round(Math.max(first.rssMb!, second.rssMb!), 0),
      second_run_puts: requests(second),
      second_run_changed_objects: second.uploaded!,
      second_run_seconds: round(second.ms! / 1000),
    });
  } finally {
    await close();
    await s3.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
