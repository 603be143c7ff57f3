// Synthetic raw files for the ingest and scale benchmarks: records of five sources, one file per
// source and day, as a crawl writes them; day 3 changes one record in a hundred.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { contentHash } from '../../src/lib/canonical-json.ts';

const SOURCES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const WORDS = ['star', 'iron', 'quiet', 'neon', 'paper', 'harbor', 'glass', 'cinder', 'lantern', 'marrow', 'orbit', 'garden'];

/**
 * Whether record i changes on day 3: one in each hundred, at a place that moves from hundred to
 * hundred, so every source has its share of the changes (i % 100 === 0 put them all in one source).
 */
export const changesOnDay3 = (i: number) => i % 100 === Math.floor(i / 100) % 100;

function record(i: number, day: number) {
  const source = SOURCES[i % SOURCES.length]!;
  const changed = day === 3 && changesOnDay3(i);
  const title = `${WORDS[i % 12]} ${WORDS[(i >> 3) % 12]} ${WORDS[(i >> 6) % 12]} ${i}`;
  return {
    source,
    key: `${source}:item:${i}:us`,
    data: {
      store: source,
      store_item_id: String(i),
      title,
      url: `https://${source}.example.com/app/${i}/${title.replace(/ /g, '-')}`,
      region: 'us',
      currency: 'USD',
      status: 'available',
      amount: changed ? 999 + (i % 1000) : 1999 + (i % 1000),
      regular_amount: 2999 + (i % 1000),
      developer: `${WORDS[(i >> 2) % 12]} studio`,
      tags: [WORDS[i % 5], WORDS[(i + 3) % 12], 'indie'],
      review_count: 100 + day,
    },
  };
}

/** Writes one raw file per source for a day, plus (day 1) the same rows in COPY format. */
export function writeDay(dir: string, records: number, day: number, copyFile?: string): string[] {
  const at = new Date(Date.UTC(2026, 0, day, 6)).toISOString();
  const files = SOURCES.map((s) => path.join(dir, 'raw', s, at.slice(0, 10), `${at.replace(/[-:.]/g, '').slice(0, 15)}Z-bench.jsonl`));
  const fds = files.map((f) => {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    return fs.openSync(f, 'w');
  });
  const copyFd = copyFile ? fs.openSync(copyFile, 'w') : undefined;
  const counts = SOURCES.map(() => 0);
  SOURCES.forEach((s, i) => fs.writeSync(fds[i]!, `${JSON.stringify({ control: 'start', run_id: `bench-${day}-${s}`, source: s, started_at: at })}\n`));
  const buffers: string[][] = SOURCES.map(() => []);
  let copyBuf: string[] = [];
  for (let i = 0; i < records; i++) {
    const r = record(i, day);
    const si = i % SOURCES.length;
    counts[si]!++;
    const line = { source: r.source, entity: 'offer', key: r.key, partition: 'us', observed_at: at, url: r.data.url, data: r.data, source_fields: { price: `$${(r.data.amount / 100).toFixed(2)}` }, volatile: ['review_count'] };
    buffers[si]!.push(JSON.stringify(line));
    if (copyFd !== undefined) {
      const hash = contentHash(r.data, ['review_count']);
      copyBuf.push([counts[si]! + 1, r.source, 'offer', r.key, 'us', at, `\\\\x${hash}`, JSON.stringify(r.data).replace(/\\/g, '\\\\'), JSON.stringify(line.source_fields), `bench-${day}-${r.source}`, '\\N', '\\N'].join('\t'));
    }
    if (buffers[si]!.length >= 2000) {
      fs.writeSync(fds[si]!, `${buffers[si]!.join('\n')}\n`);
      buffers[si] = [];
    }
    if (copyBuf.length >= 10000) {
      fs.writeSync(copyFd!, `${copyBuf.join('\n')}\n`);
      copyBuf = [];
    }
  }
  SOURCES.forEach((s, i) => {
    const end = { control: 'end', run_id: `bench-${day}-${s}`, source: s, started_at: at, finished_at: at, complete: true, partitions: { us: counts[i] }, pages: counts[i], records: counts[i], invalid: 0, failed_requests: 0, budget_cut: false };
    fs.writeSync(fds[i]!, `${buffers[i]!.length ? `${buffers[i]!.join('\n')}\n` : ''}${JSON.stringify(end)}\n`);
    fs.closeSync(fds[i]!);
  });
  if (copyFd !== undefined) {
    if (copyBuf.length) fs.writeSync(copyFd, `${copyBuf.join('\n')}\n`);
    fs.closeSync(copyFd);
  }
  return files;
}

/**
 * Settles the database before a phase. VACUUM (ANALYZE): between two daily crawls autovacuum has long
 * finished with the day before's writes; here an autovacuum worker otherwise went on for half a
 * minute after (b), into (a)'s second run and (c). Then a checkpoint, where the server allows it
 * (superuser or pg_checkpoint); else a warning.
 */
export async function settle(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
    await client.query('CHECKPOINT').catch((err: unknown) => {
      console.error(`ingest bench: no CHECKPOINT before the phase (${(err as Error).message}): figures may include another phase's writes`);
    });
  } finally {
    await client.end();
  }
}

