// Hand-made raw files for staging tests, in the exact format spiders write.
import fs from 'node:fs';
import path from 'node:path';
import type { RawRecord, RunEnd } from '../../src/raw/raw-line.ts';

export interface Obs {
  key: string;
  at: string;
  data: Record<string, unknown> | null;
  partition?: string;
  invalid?: string;
  volatile?: string[];
}

let seq = 0;

/** Writes <rawDir>/<source>/<date>/<runId>.jsonl; `end` adds the closing line of a finished run, `start.schemaHash` the crawl's schema hash. */
export function writeRawFile(
  rawDir: string,
  source: string,
  observations: Obs[],
  end?: { complete: boolean; startedAt?: string; finishedAt?: string },
  start: { schemaHash?: string } = {},
): string {
  const first = observations[0]?.at ?? end?.startedAt ?? '2026-01-01T00:00:00.000Z';
  const runId = `${first.replace(/[-:.]/g, '').slice(0, 15)}Z-t${String(seq++).padStart(5, '0')}`;
  const file = path.join(rawDir, source, first.slice(0, 10), `${runId}.jsonl`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines: object[] = [{ control: 'start', run_id: runId, source, started_at: end?.startedAt ?? first, ...(start.schemaHash ? { schema_hash: start.schemaHash } : {}) }];
  const partitions: Record<string, number> = {};
  for (const o of observations) {
    const line: RawRecord = {
      source,
      entity: 'offer',
      key: o.key,
      partition: o.partition ?? 'all',
      observed_at: o.at,
      url: null,
      data: o.data,
      source_fields: null,
      ...(o.volatile ? { volatile: o.volatile } : {}),
      ...(o.invalid ? { invalid: o.invalid } : {}),
    };
    if (!o.invalid) partitions[line.partition!] = (partitions[line.partition!] ?? 0) + 1;
    lines.push(line);
  }
  if (end) {
    const trailer: RunEnd = {
      control: 'end',
      run_id: runId,
      source,
      started_at: end.startedAt ?? first,
      finished_at: end.finishedAt ?? observations.at(-1)?.at ?? first,
      complete: end.complete,
      partitions,
      pages: observations.length,
      records: observations.filter((o) => !o.invalid).length,
      invalid: observations.filter((o) => o.invalid).length,
      failed_requests: 0,
      budget_cut: false,
    };
    lines.push(trailer);
  }
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

/** The whole lines of a raw file, parsed: a killed run's file may end in a torn one, which is left out. */
export function readRawLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
