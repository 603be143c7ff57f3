// Export benchmark: 100,000 games fanned out (one history object each) plus the lists, to a real
// S3-API server on loopback; then again after 1% of prices change, counting the requests.
// Options: --games N (default 100000).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEtl } from '../src/etl/run-etl.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { ingestFile } from '../src/staging/ingest.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';
import { benchDatabase } from './lib/bench-db.ts';
import { report, round, runChild } from './lib/report.ts';

const DAY0 = Date.UTC(2026, 0, 1, 6);

export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const games = Number(opts.games ?? 100_000);
  const s3 = await startS3Server(['bench']);
  const { database, url, close } = await benchDatabase('export');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-bench-export-'));
  try {
    const pool = database.pool;
    console.error(`export bench: ${games.toLocaleString()} games with 3 prices each`);
    const { rows } = await pool.query(`INSERT INTO staging.raw_files (path, source, finished, complete) VALUES ('bench/history.jsonl', 'bench', true, true) RETURNING id`);
    await pool.query(
      `INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, valid_from, valid_to, last_seen_at, raw_file_id, raw_line)
       SELECT 'shop', 'offer', 'shop:' || i || ':us', 'us', v, sha256(convert_to(i || ':' || v, 'UTF8')), 1,
              jsonb_build_object('store', 'shop', 'store_item_id', i::text, 'title', 'Game number ' || i, 'url', 'https://shop.example/' || i,
                                 'region', 'us', 'currency', 'USD', 'status', 'available', 'amount', 1000 + (i * 7 + v * 13) % 4000, 'regular_amount', 5000),
              to_timestamp($2 / 1000.0) + (v - 1) * interval '10 days',
              CASE WHEN v < 3 THEN to_timestamp($2 / 1000.0) + v * interval '10 days' END,
              to_timestamp($2 / 1000.0) + (v - 1) * interval '10 days', $1, i
       FROM generate_series(1, $3) i, generate_series(1, 3) v`,
      [rows[0].id, DAY0, games],
    );
    await pool.query(
      `INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at)
       SELECT source, entity, key, partition, version, hash, 1, false, valid_from FROM staging.versions WHERE valid_to IS NULL`,
    );
    await runEtl({ database, log: silentLogger, full: true });
    await pool.query('ANALYZE');

    const env = { ...process.env, DATABASE_URL: url, EXPORT_TARGET: 's3://bench/public', S3_ENDPOINT: s3.endpoint, TRAWL_NOW: new Date(DAY0 + 30 * 86_400_000).toISOString() };
    console.error('export bench: first export');
    const first = await runChild('bench/export-child.ts', [], env);

    console.error('export bench: 1% of prices change');
    const changed = Math.round(games / 100);
    const at = new Date(DAY0 + 31 * 86_400_000).toISOString();
    const file = path.join(dir, 'raw', 'shop', 'day31.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lines = [];
    for (let k = 0; k < changed; k++) {
      const i = 1 + k * 100;
      lines.push(JSON.stringify({
        source: 'shop', entity: 'offer', key: `shop:${i}:us`, partition: 'us', observed_at: at, url: null, source_fields: null,
        data: { store: 'shop', store_item_id: String(i), title: `Game number ${i}`, url: `https://shop.example/${i}`, region: 'us', currency: 'USD', status: 'available', amount: 999, regular_amount: 5000 },
      }));
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    await ingestFile({ pool, rawDir: path.join(dir, 'raw'), file, spiders: new Map(), delistMaxMissingShare: 0.5, log: silentLogger });
    await runEtl({ database, log: silentLogger });
    console.error('export bench: second export');
    const second = await runChild('bench/export-child.ts', [], { ...env, TRAWL_NOW: at });

    const requests = (r: Record<string, number>) => r.puts! + r.copies!;
    report(`export: ${games.toLocaleString()} game objects + lists to a loopback S3 server (s3rver)`, [
      { run: 'first', objects: first.objects!, 'objects/s': Math.round(first.objects! / (first.ms! / 1000)), 'PUT + copy requests': requests(first), 'peak RSS MB': round(first.rssMb!, 0), target: '<= 250 MB' },
      { run: 'after 1% change', objects: second.objects!, 'objects/s': Math.round(second.objects! / (second.ms! / 1000)), 'PUT + copy requests': requests(second), 'peak RSS MB': round(second.rssMb!, 0), target: `changed ${second.uploaded} + manifest` },
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
