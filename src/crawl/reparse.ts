// `trawl reparse <run>`: runs the spider's current parsers over a crawl run's stored response bodies
// into a new raw file, without fetching anything, so a parser bug can be repaired after the fact.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { type RawRecord, RawWriter, type RunEnd, runEndSchema } from '../raw/index.ts';
import { resolveScope, resolveSpiders } from '../spiders/index.ts';
import { readBodies } from './body-store.ts';
import { runRoute } from './run-route.ts';

export interface ReparseResult {
  spider: string;
  fromRun: string;
  runId: string;
  rawFile: string;
  pages: number;
  records: number;
  invalid: number;
  failedPages: number;
  /** Pages of the original run whose bodies were not stored (a crawl whose disk filled). */
  bodiesMissing: number;
  complete: boolean;
}

export async function reparse(opts: { runId: string; config: Config; log: Logger }): Promise<ReparseResult> {
  const { config, log, runId } = opts;
  if (!/^[\w.-]+$/.test(runId)) throw new UserError(`not a run id: ${runId}`);
  const bodyFile = findRunFile(config.bodiesDir, `${runId}.bodies.jsonl.gz`);
  if (!bodyFile) {
    throw new UserError(`no stored response bodies for run ${runId} under ${config.bodiesDir} (they are kept BODY_RETENTION_DAYS=${config.retention.bodyDays} days)`);
  }
  const rel = path.relative(config.bodiesDir, bodyFile);
  const [source, day] = rel.split(path.sep);
  const [spider] = await resolveSpiders([source!]);
  const original = readRunLines(path.join(config.rawDir, source!, day!, `${runId}.jsonl`));
  const pages = await readBodies(bodyFile);
  if (pages.length === 0) throw new UserError(`run ${runId}: its body file holds no pages`);

  let n = 1;
  while (fs.existsSync(path.join(config.rawDir, source!, day!, `${runId}.reparse-${n}.jsonl`))) n++;
  const newRunId = `${runId}.reparse-${n}`;
  const startedAt = original.startedAt ?? pages[0]!.fetched_at;
  const writer = new RawWriter(path.join(config.rawDir, source!, day!, `${newRunId}.jsonl`));
  writer.start({ control: 'start', run_id: newRunId, source: spider!.name, started_at: startedAt });
  const stats = { records: 0, invalid: 0, failed: 0 };
  const scope = resolveScope(spider!, config);
  const partitions: Record<string, number> = {};
  for (const stored of pages) {
    let lines: RawRecord[];
    try {
      if (!spider!.routes[stored.label]) throw new Error(`the spider has no route ${stored.label} any more`);
      const out = await runRoute(
        spider!,
        { url: stored.url, loadedUrl: stored.loaded_url ?? stored.url, label: stored.label, userData: stored.userData, body: stored.body, captured: stored.captured },
        // Observed when fetched, not now; the stored pages are the whole frontier: nothing new is fetched.
        { kind: spider!.routes[stored.label]!.kind ?? spider!.kind, baseUrl: new URL(stored.url).origin, scope, at: new Date(stored.fetched_at), log, enqueue: async (r) => r },
      );
      if (out.yieldError) throw out.yieldError;
      lines = out.lines;
    } catch (err) {
      stats.failed++;
      log.error({ url: stored.url, err: (err as Error).message }, 'page could not be parsed');
      continue;
    }
    writer.write(lines.map((l) => JSON.stringify(l)));
    for (const l of lines) {
      if (l.invalid) stats.invalid++;
      else {
        stats.records++;
        partitions[l.partition ?? 'all'] = (partitions[l.partition ?? 'all'] ?? 0) + 1;
      }
    }
  }
  // As complete as the run it repeats, if every one of its pages was stored and parsed.
  const bodiesMissing = original.end ? Math.max(0, original.end.pages - pages.length) : 0;
  if (bodiesMissing > 0) log.warn({ run: runId, stored: pages.length, pages: original.end!.pages }, 'the run kept the bodies of only some of its pages (they were cut, e.g. by a full disk): this reparse is incomplete and delists nothing');
  const complete = original.end?.complete === true && bodiesMissing === 0 && stats.failed === 0;
  const end: RunEnd = {
    control: 'end',
    run_id: newRunId,
    source: spider!.name,
    started_at: startedAt,
    finished_at: original.end?.finished_at ?? pages.at(-1)!.fetched_at,
    complete,
    partitions,
    pages: pages.length,
    records: stats.records,
    invalid: stats.invalid,
    failed_requests: stats.failed,
    budget_cut: original.end?.budget_cut ?? false,
  };
  const rawFile = writer.finish(end);
  return { spider: spider!.name, fromRun: runId, runId: newRunId, rawFile, pages: pages.length, records: stats.records, invalid: stats.invalid, failedPages: stats.failed, bodiesMissing, complete };
}

/** <dir>/<source>/<day>/<name>, wherever it is. */
function findRunFile(dir: string, name: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f) === name)
    .map((f) => path.join(dir, f))[0];
}

/** The start time and end line of the original run's raw file, where it still exists (its ends only are read). */
function readRunLines(file: string): { startedAt?: string; end?: RunEnd } {
  if (!fs.existsSync(file)) return {};
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const read = (at: number, length: number) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, fs.readSync(fd, buf, 0, length, at)).toString('utf8');
    };
    const head = read(0, Math.min(size, 4096));
    const tail = read(Math.max(0, size - 65_536), Math.min(size, 65_536)).trimEnd();
    const parse = (line: string): unknown => {
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    };
    const start = parse(head.slice(0, head.indexOf('\n'))) as { started_at?: string } | undefined;
    const end = runEndSchema.safeParse(parse(tail.slice(tail.lastIndexOf('\n') + 1)));
    return { startedAt: start?.started_at, end: end.success ? end.data : undefined };
  } finally {
    fs.closeSync(fd);
  }
}
