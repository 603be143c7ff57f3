// Ingest benchmark: 1,000,000 synthetic records (~300-byte payloads, 5 sources) against plain COPY.
//   (a) plain COPY of the same rows into an unindexed table: the physical limit here (run three
//       times, before each other phase; the ratios are to the median)
//   (b) first ingest   (c) next day, nothing changed   (d) next day, 1% changed
// Each phase's CPU per record (Node's, this machine's Postgres's) and the cores it kept busy say what
// bounds it.
// Options: --records N (default 1000000); --timings on: each file's statement timings on stderr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDatabase } from './lib/bench-db.ts';
import { report, round, runChild } from './lib/report.ts';
import { changesOnDay3, settle, writeDay } from './lib/synthetic-raw.ts';

export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const records = Number(opts.records ?? 1_000_000);
  const ingestMode = opts.timings === undefined ? 'ingest' : 'ingest+timings';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-bench-ingest-'));
  console.error(`ingest bench: generating ${records.toLocaleString()} records x 3 days in ${dir}`);
  const copyFile = path.join(dir, 'copy.tsv');
  const days = [writeDay(dir, records, 1, copyFile), writeDay(dir, records, 2), writeDay(dir, records, 3)];
  const bytes = fs.statSync(copyFile).size;
  const { database, url, embedded, close } = await benchDatabase('ingest');
  // The limit is this server's: builds differ (the embedded server's binaries ran (a) 1.2-1.6x slower
  // than Debian's PostgreSQL 15 here), so the table says which one it measured.
  const { rows: version } = await database.pool.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  const server = `PostgreSQL ${version[0]!.v.split(' ')[0]}${embedded ? ' (embedded)' : ''}`;
  await database.close();
  try {
    const rawDir = path.join(dir, 'raw');
    // Each phase writes more WAL than max_wal_size, so whether a checkpoint falls inside a phase
    // moved (a) by a third between runs: every phase starts on a fresh checkpoint, and pays only for
    // its own writes. The baseline still moves on a shared VM: (a) runs before each phase, and the
    // ratios are to the median of the three.
    const phase = async (label: string, args: string[]) => {
      await settle(url);
      console.error(`ingest bench: ${label}`);
      return runChild('bench/ingest-child.ts', args);
    };
    const copies: Record<string, number>[] = [];
    const copy = async () => copies.push(await phase(`(a) plain COPY, run ${copies.length + 1} of 3`, ['copy', url, copyFile]));
    await copy();
    const b = await phase('(b) first ingest', [ingestMode, url, rawDir, ...days[0]!]);
    await copy();
    const c = await phase('(c) next day, unchanged', [ingestMode, url, rawDir, ...days[1]!]);
    await copy();
    const d = await phase('(d) next day, 1% changed', [ingestMode, url, rawDir, ...days[2]!]);
    let changes = 0;
    for (let i = 0; i < records; i++) if (changesOnDay3(i)) changes++;
    if (b.newVersions !== records || c.newVersions !== 0 || d.newVersions !== changes) {
      throw new Error(`unexpected versions: first ${b.newVersions}, unchanged ${c.newVersions}, changed ${d.newVersions}`);
    }
    const rate = (r: Record<string, number>) => records / (r.ms! / 1000);
    const copyRates = copies.map((a) => a.rows! / (a.ms! / 1000));
    const copyRate = [...copyRates].sort((x, y) => x - y)[1]!;
    const cores = os.cpus().length;
    // What bounds a phase: CPU per record of Node and of this machine's Postgres, and how many of
    // the cores the phase kept busy (every one busy: only costing less per record goes faster).
    const perRecord = (ms: number | undefined, n: number) => (ms === undefined ? undefined : round((ms * 1000) / n, 1));
    const cpu = (r: Record<string, number>, n: number) => ({
      node: perRecord(r.processMs, n)!,
      postgres: perRecord(r.postgresMs, n),
      busy: r.busy === undefined ? undefined : round(r.busy * cores, 2),
    });
    const cpuColumns = (c: ReturnType<typeof cpu>) => ({
      'Node CPU us/rec': c.node,
      'PG CPU us/rec': c.postgres ?? '-',
      'cores busy': c.busy === undefined ? '-' : `${c.busy} of ${cores}`,
    });
    const copyCpu = copies.map((a) => cpu(a, a.rows!));
    const [cb, cc, cd] = [cpu(b, records), cpu(c, records), cpu(d, records)];
    const rows = [
      ...copyRates.map((r, i) => ({ phase: `(a) plain COPY, no index, run ${i + 1}`, 'records/s': Math.round(r), 'x COPY': round(r / copyRate), target: '-', ...cpuColumns(copyCpu[i]!), 'peak RSS MB': round(copies[i]!.rssMb!, 0) })),
      { phase: '(a) median: the baseline', 'records/s': Math.round(copyRate), 'x COPY': 1, target: '-', 'Node CPU us/rec': '', 'PG CPU us/rec': '', 'cores busy': '', 'peak RSS MB': '-' },
      { phase: '(b) first ingest', 'records/s': Math.round(rate(b)), 'x COPY': round(rate(b) / copyRate), target: '>= 0.5', ...cpuColumns(cb), 'peak RSS MB': round(b.rssMb!, 0) },
      { phase: '(c) next day, unchanged', 'records/s': Math.round(rate(c)), 'x COPY': round(rate(c) / copyRate), target: '>= 1', ...cpuColumns(cc), 'peak RSS MB': round(c.rssMb!, 0) },
      { phase: '(d) next day, 1% changed', 'records/s': Math.round(rate(d)), 'x COPY': round(rate(d) / copyRate), target: '>= 0.8', ...cpuColumns(cd), 'peak RSS MB': round(d.rssMb!, 0) },
    ];
    const cpuFigures = (name: string, c: ReturnType<typeof cpu>) => ({
      [`${name}_node_cpu_us_per_record`]: c.node,
      ...(c.postgres === undefined ? {} : { [`${name}_postgres_cpu_us_per_record`]: c.postgres }),
      ...(c.busy === undefined ? {} : { [`${name}_cores_busy`]: c.busy }),
    });
    report(`ingest: ${records.toLocaleString()} records, ${(bytes / records).toFixed(0)} bytes per COPY row, 5 sources, ${cores} cores, ${server}`, rows, {
      records,
      server,
      copy_records_per_s: Math.round(copyRate),
      copy_runs_records_per_s: copyRates.map(Math.round).join(' '),
      first_records_per_s: Math.round(rate(b)),
      unchanged_records_per_s: Math.round(rate(c)),
      changed_records_per_s: Math.round(rate(d)),
      ratio_first: round(rate(b) / copyRate),
      ratio_unchanged: round(rate(c) / copyRate),
      ratio_changed: round(rate(d) / copyRate),
      peak_rss_mb: round(Math.max(b.rssMb!, c.rssMb!, d.rssMb!), 0),
      ...cpuFigures('copy', copyCpu[copyRates.indexOf(copyRate)]!),
      ...cpuFigures('first', cb),
      ...cpuFigures('unchanged', cc),
      ...cpuFigures('changed', cd),
    });
  } finally {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
