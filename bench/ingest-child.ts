// One measured phase of the ingest benchmark, in its own process so its peak RSS is its own.
//   copy <url> <copy file>        plain COPY of prepared rows into an unindexed table (the limit)
//   ingest <url> <raw dir> <files…>  trawl's ingest of raw files (`ingest+timings`: each file's
//                                    statement timings on stderr, as `trawl ingest` logs them at debug)
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createLogger, silentLogger } from '../src/lib/logger.ts';
import { ingestFiles } from '../src/staging/ingest.ts';
import { startCpuMeter } from './lib/cpu-meter.ts';

const [mode, url, ...rest] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 3 });
const started = performance.now();
const out: Record<string, number> = {};
if (mode === 'copy') {
  const client = await pool.connect();
  await client.query('DROP TABLE IF EXISTS bench_copy');
  await client.query('CREATE TABLE bench_copy (raw_line int, source text, entity text, key text, partition text, observed_at timestamptz, hash bytea, data jsonb, source_fields jsonb, run_id text, reason text, line text)');
  const t = performance.now();
  const meter = startCpuMeter();
  await pipeline(fs.createReadStream(rest[0]!), client.query(copyFrom('COPY bench_copy FROM STDIN')));
  out.ms = performance.now() - t;
  Object.assign(out, meter.stop());
  out.rows = (await client.query('SELECT count(*)::int AS n FROM bench_copy')).rows[0].n;
  await client.query('DROP TABLE bench_copy');
  client.release();
} else {
  const [rawDir, ...files] = rest;
  let records = 0;
  let newVersions = 0;
  const log = mode === 'ingest+timings' ? createLogger({ level: 'debug', format: 'json' }) : silentLogger;
  const meter = startCpuMeter();
  await ingestFiles(files, { pool, rawDir: rawDir!, rules: new Map(), delistMaxMissingShare: 0.5, log }, (r) => {
    records += r.records;
    newVersions += r.newVersions;
  });
  out.ms = performance.now() - started;
  Object.assign(out, meter.stop());
  out.records = records;
  out.newVersions = newVersions;
}
await pool.end();
out.rssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
