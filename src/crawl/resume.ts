// Resuming a killed crawl: its .part file is its journal. The newest young one is taken up again;
// every other unfinished run is closed as incomplete, so ingest takes the records it holds.
import fs from 'node:fs';
import type { Logger } from '../lib/logger.ts';
import { claimPart, RawWriter, releasePart } from '../raw/index.ts';
import type { SpiderDefinition } from '../spiders/index.ts';
import { type Journal, readJournal, unfinishedRuns } from './crawl-journal.ts';

/**
 * An unfinished run younger than this is resumed; an older one is closed as incomplete and a new run
 * starts. A spider whose full crawl takes longer (expectedCrawlHours) gets twice its crawl time.
 */
const RESUME_WINDOW_HOURS = 12;

export function resumeWindowHours(spider: Pick<SpiderDefinition, 'expectedCrawlHours'>): number {
  return Math.max(RESUME_WINDOW_HOURS, 2 * (spider.expectedCrawlHours ?? 0));
}

/** What the run id of a crawl of one partition ends with: `<time>Z-<hex>-p-<partition>`. */
export const partitionMark = (partition: string) => `-p-${partition}`;

/** Whether an unfinished raw file belongs to runs of this partition (undefined: the whole scope). */
function ofPartition(part: string, partition: string | undefined): boolean {
  return /-p-([^/]+)\.jsonl\.part$/.exec(part)?.[1] === partition;
}

/**
 * The newest unfinished run of a spider (of the partition, when one is named), to resume, unless
 * `fresh` or older than the resume window. Every other unfinished run of it is closed as incomplete so
 * ingest takes its records. Runs of other partitions are left alone: another worker may be writing one.
 */
export async function takeUnfinishedRun(
  spider: string,
  rawDir: string,
  now: Date,
  opts: { fresh: boolean; windowHours: number; partition: string | undefined },
  log: Logger,
): Promise<Journal | undefined> {
  const { fresh, windowHours } = opts;
  const parts = unfinishedRuns(rawDir, spider).filter((p) => ofPartition(p, opts.partition));
  let resume: Journal | undefined;
  for (const [i, part] of parts.entries()) {
    // Before reading it (which cuts a half-written last page): a run still writing it refuses us.
    claimPart(part);
    let journal: Journal;
    try {
      journal = await readJournal(part);
    } catch (err) {
      fs.renameSync(part, `${part}.unreadable`);
      releasePart(part);
      log.warn({ file: part, err: (err as Error).message }, 'unfinished raw file unreadable: set aside');
      continue;
    }
    const young = now.getTime() - journal.startedAt.getTime() < windowHours * 3_600_000;
    if (i === parts.length - 1 && !fresh && young) {
      resume = journal;
      continue;
    }
    new RawWriter(part.replace(/\.part$/, '')).finish({
      control: 'end',
      run_id: journal.runId,
      source: spider,
      started_at: journal.startedAt.toISOString(),
      finished_at: now.toISOString(),
      complete: false,
      partitions: journal.partitions,
      pages: journal.done.size,
      records: journal.records,
      invalid: journal.invalid,
      failed_requests: 0,
      budget_cut: false,
    });
    log.warn({ file: part, pages: journal.done.size, records: journal.records }, 'unfinished run closed as incomplete');
  }
  return resume;
}
