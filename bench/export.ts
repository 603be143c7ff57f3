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
import { report, round, runChild } from './lib/report.ts';
import { DAY0, ingestOnePercentChange, insertPriceHistory } from './lib/synthetic-offers.ts';


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

    console.error('export bench: 1% of prices change');
    const { at } = await ingestOnePercentChange(pool, dir, shape, 31);
    await runEtl({ database, log: silentLogger });
    console.error('export bench: second export');
    const second = await runChild('bench/export-child.ts', [], { ...env, TRAWL_NOW: at });

    const requests = (r: Record<string, number>) => r.puts! + r.copies!;
    report(`export: ${games.toLocaleString()} game objects + lists to a loopback S3 server (s3rver)`, [
      { run: 'first', objects: first.objects!, 'objects/s': Math.round(first.objects! / (first.ms! / 1000)), 'PUT + copy requests': requests(first), 'peak RSS MB': round(first.rssMb!, 0), 'heap / buffers MB': `${round(first.heapMb!, 0)} / ${round(first.externalMb!, 0)}`, target: '<= 250 MB' },
      { run: 'after 1% change', objects: second.objects!, 'objects/s': Math.round(second.objects! / (second.ms! / 1000)), 'PUT + copy requests': requests(second), 'peak RSS MB': round(second.rssMb!, 0), 'heap / buffers MB': `${round(second.heapMb!, 0)} / ${round(second.externalMb!, 0)}`, target: `changed ${second.uploaded} + manifest` },
    ], {
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
