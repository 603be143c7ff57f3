// Scale benchmark: how trawl's costs grow with its data. At each size (default 100k, 1M and 3M
// records; --sizes 20000,100000,300000 for a quick run), in a fresh database:
//   first ingest of a day's records, then the next day's (1% changed): the steady daily cost;
//   the full ETL (`trawl etl --full`) over what was ingested;
//   the Parquet lake written from it, and the JSON export where it fits (--export-max, default 100k:
//   one object per game, so 3M records are 3M objects and hours of uploads on this machine).
// Prints the cost per record at each size, the table and index sizes behind it, and the growth: the
// cost per record at the largest size over that at 1M (or the middle size), so that fixed per-run costs
// at the smallest size do not hide it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEtl } from '../src/etl/run-etl.ts';
import { runExport } from '../src/export/run-export.ts';
import { runLakeExport } from '../src/export/run-lake-export.ts';
import { FileTarget } from '../src/export/targets.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { benchDatabase } from './lib/bench-db.ts';
import { report, round, runChild } from './lib/report.ts';
import { settle, writeDay } from './lib/synthetic-raw.ts';

/** Growth of the daily ingest's cost per record, largest size over 1M: what the issue asks to stay under. */
const GROWTH_TARGET = 1.5;

const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}m` : n % 1000 === 0 ? `${n / 1000}k` : String(n));

function folderBytes(dir: string): number {
  let total = 0;
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const st = fs.statSync(path.join(dir, f));
    if (st.isFile()) total += st.size;
  }
  return total;
}

interface SizeFigures {
  records: number;
  firstUs: number;
  dailyUs: number;
  etlS: number;
  lakeS: number;
  lakeMb: number;
  exportObjects: number | undefined;
  exportMb: number | undefined;
  stagingMb: number;
  coreMb: number;
  indexLevels: number | string;
  rssMb: number;
}

async function measure(records: number, exportMax: number): Promise<SizeFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `trawl-bench-scale-${label(records)}-`));
  const { database, url, close } = await benchDatabase(`scale_${label(records)}`);
  try {
    console.error(`scale bench ${label(records)}: writing two days of raw files`);
    const [day1, day3] = [writeDay(dir, records, 1), writeDay(dir, records, 3)];
    const rawDir = path.join(dir, 'raw');
    await settle(url);
    console.error(`scale bench ${label(records)}: first ingest`);
    const first = await runChild('bench/ingest-child.ts', ['ingest', url, rawDir, ...day1]);
    await settle(url);
    console.error(`scale bench ${label(records)}: next day's ingest (1% changed)`);
    const daily = await runChild('bench/ingest-child.ts', ['ingest', url, rawDir, ...day3]);
    if (first.records !== records || daily.records !== records) throw new Error(`ingested ${first.records} and ${daily.records} records, not ${records}`);

    await settle(url);
    console.error(`scale bench ${label(records)}: full ETL`);
    let t = performance.now();
    await runEtl({ database, log: silentLogger, full: true });
    const etlS = (performance.now() - t) / 1000;

    const sizes = (await database.pool.query<{ staging: string; core: string }>(
      `SELECT (pg_total_relation_size('staging.versions') + pg_total_relation_size('staging.key_state'))::text AS staging,
              (pg_total_relation_size('core.prices') + pg_total_relation_size('core.listings') + pg_total_relation_size('core.games'))::text AS core`,
    )).rows[0]!;
    // The depth of the unique change-detection index: one more level is one more page read per
    // record looked up. pageinspect needs a superuser: '-' where the bench's role is not one.
    const indexLevels = await database.pool
      .query('CREATE EXTENSION IF NOT EXISTS pageinspect')
      .then(() => database.pool.query<{ level: number }>(`SELECT level FROM bt_metap('staging.versions_change_detection')`))
      .then((r) => r.rows[0]!.level + 1, () => '-');

    console.error(`scale bench ${label(records)}: Parquet lake`);
    const clock = fixedClock(new Date(Date.UTC(2026, 0, 3, 7)));
    t = performance.now();
    await runLakeExport({ database, target: new FileTarget(path.join(dir, 'lake')), clock, log: silentLogger });
    const lakeS = (performance.now() - t) / 1000;
    const lakeMb = folderBytes(path.join(dir, 'lake')) / 1048576;

    let exportObjects: number | undefined;
    let exportMb: number | undefined;
    if (records <= exportMax) {
      console.error(`scale bench ${label(records)}: JSON export`);
      const r = await runExport({ database, target: new FileTarget(path.join(dir, 'public')), clock, log: silentLogger, cacheMaxAge: 300 });
      exportObjects = r.objects;
      exportMb = folderBytes(path.join(dir, 'public')) / 1048576;
    }
    return {
      records,
      firstUs: (first.ms! * 1000) / records,
      dailyUs: (daily.ms! * 1000) / records,
      etlS,
      lakeS,
      lakeMb,
      exportObjects,
      exportMb,
      stagingMb: Number(sizes.staging) / 1048576,
      coreMb: Number(sizes.core) / 1048576,
      indexLevels,
      rssMb: Math.max(first.rssMb!, daily.rssMb!),
    };
  } finally {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const sizes = (opts.sizes ?? '100000,1000000,3000000').split(',').map(Number).sort((a, b) => a - b);
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error('--sizes takes two or more whole numbers >= 1000, comma-separated');
  const exportMax = Number(opts['export-max'] ?? 100_000);
  const figures: SizeFigures[] = [];
  for (const n of sizes) figures.push(await measure(n, exportMax));

  // Growth against 1M where it was measured, else against the size before the largest.
  const largest = figures.at(-1)!;
  const base = figures.find((f) => f.records === 1_000_000 && f !== largest) ?? figures.at(-2)!;
  const growth = (pick: (f: SizeFigures) => number) => pick(largest) / pick(base);
  const etlUs = (f: SizeFigures) => (f.etlS * 1e6) / f.records;
  const rows: Record<string, string | number>[] = figures.map((f) => ({
    records: f.records.toLocaleString(),
    'first ingest us/rec': round(f.firstUs, 1),
    'daily ingest us/rec': round(f.dailyUs, 1),
    'full ETL s': round(f.etlS, 1),
    'full ETL us/rec': round(etlUs(f), 1),
    'staging MB': round(f.stagingMb, 0),
    'core MB': round(f.coreMb, 0),
    'key index levels': f.indexLevels,
    'lake MB': round(f.lakeMb, 1),
    'lake s': round(f.lakeS, 1),
    'JSON export': f.exportObjects === undefined ? `not run (> ${exportMax.toLocaleString()})` : `${f.exportObjects.toLocaleString()} objects, ${round(f.exportMb!, 0)} MB`,
    'ingest RSS MB': round(f.rssMb, 0),
  }));
  rows.push({
    records: `growth ${label(largest.records)} / ${label(base.records)}`,
    'first ingest us/rec': round(growth((f) => f.firstUs), 2),
    'daily ingest us/rec': round(growth((f) => f.dailyUs), 2),
    'full ETL s': '-',
    'full ETL us/rec': round(growth(etlUs), 2),
    'staging MB': '-',
    'core MB': '-',
    'key index levels': '-',
    'lake MB': '-',
    'lake s': round(growth((f) => f.lakeS / f.records), 2),
    'JSON export': `target: daily ingest <= ${GROWTH_TARGET}`,
    'ingest RSS MB': '-',
  });
  const keyed = (name: string, pick: (f: SizeFigures) => number, digits: number) => Object.fromEntries(figures.map((f) => [`${name}_${label(f.records)}`, round(pick(f), digits)]));
  report(`scale: ingest and the full ETL at ${sizes.map(label).join(', ')} records (5 sources, one game per record)`, rows, {
    ...keyed('ingest_us_per_record', (f) => f.dailyUs, 1),
    ...keyed('ingest_first_us_per_record', (f) => f.firstUs, 1),
    ...keyed('etl_full_s', (f) => f.etlS, 1),
    ...keyed('lake_mb', (f) => f.lakeMb, 1),
    growth_ingest: round(growth((f) => f.dailyUs), 2),
    growth_ingest_first: round(growth((f) => f.firstUs), 2),
    growth_etl: round(growth(etlUs), 2),
    growth_base: label(base.records),
  });
}
