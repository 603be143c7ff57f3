// The crawl's durable frontier. Each page's raw lines are written in one write together with a page
// marker naming the request and what it enqueued, so the raw file itself says which pages are done
// and what is still to fetch. A resumed run rebuilds its queue from it: no finished page is fetched
// again, none of its lines is written twice, and no request in flight at a kill stays locked.
import fs from 'node:fs';
import path from 'node:path';
import { readLines } from '../raw/index.ts';
import type { SpiderRequest } from '../spiders/index.ts';

/** Written after a page's records, in the same write. */
export interface PageMarker {
  control: 'page';
  /** Crawlee's unique key of the request. */
  key: string;
  enqueued: SpiderRequest[];
  /** Requests this page linked outside the allowed domains: they make the run incomplete. */
  off_domain?: number;
}

export interface Journal {
  runId: string;
  startedAt: Date;
  /** Unique keys of the pages whose lines are in the file. */
  done: Set<string>;
  /** Every request a finished page enqueued, in order. */
  enqueued: SpiderRequest[];
  records: number;
  invalid: number;
  offDomain: number;
  partitions: Record<string, number>;
  /** Bytes of a half-written page cut from the end of the file. */
  truncatedBytes: number;
}

/**
 * Reads an unfinished run's .part file and cuts anything after the last page marker (a page killed
 * mid-write): what is left is whole pages only.
 */
export async function readJournal(partPath: string): Promise<Journal> {
  let runId: string | undefined;
  let startedAt: Date | undefined;
  const journal = { done: new Set<string>(), enqueued: [] as SpiderRequest[], records: 0, invalid: 0, offDomain: 0, partitions: {} as Record<string, number> };
  // Counts of the page being read, committed when its marker arrives.
  let page = { records: 0, invalid: 0, partitions: {} as Record<string, number> };
  let keepBytes = 0;
  for await (const line of readLines(partPath)) {
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line.text) as Record<string, unknown>;
    } catch {
      break; // a torn line: the page it belongs to is cut
    }
    if (obj.control === 'start') {
      runId = String(obj.run_id);
      startedAt = new Date(String(obj.started_at));
      keepBytes = line.endOffset;
    } else if (obj.control === 'page') {
      const marker = obj as unknown as PageMarker;
      journal.done.add(marker.key);
      journal.enqueued.push(...marker.enqueued);
      journal.offDomain += marker.off_domain ?? 0;
      journal.records += page.records;
      journal.invalid += page.invalid;
      for (const [p, n] of Object.entries(page.partitions)) journal.partitions[p] = (journal.partitions[p] ?? 0) + n;
      page = { records: 0, invalid: 0, partitions: {} };
      keepBytes = line.endOffset;
    } else if (obj.control !== undefined) {
      continue; // an end line torn off a run killed while finishing: the run is finished again
    } else if (typeof obj.invalid === 'string') {
      page.invalid++;
    } else {
      page.records++;
      const p = typeof obj.partition === 'string' ? obj.partition : 'all';
      page.partitions[p] = (page.partitions[p] ?? 0) + 1;
    }
  }
  if (!runId || !startedAt) throw new Error(`${partPath} has no start line: not a raw file of a crawl`);
  const size = fs.statSync(partPath).size;
  if (size > keepBytes) fs.truncateSync(partPath, keepBytes);
  return { runId, startedAt, ...journal, truncatedBytes: size - keepBytes };
}

/** Unfinished runs (.part files) of a spider, oldest first. */
export function unfinishedRuns(rawDir: string, spider: string): string[] {
  const dir = path.join(rawDir, spider);
  if (!fs.existsSync(dir)) return [];
  const parts: string[] = [];
  for (const day of fs.readdirSync(dir)) {
    const dayDir = path.join(dir, day);
    if (!fs.statSync(dayDir).isDirectory()) continue;
    for (const f of fs.readdirSync(dayDir)) if (f.endsWith('.jsonl.part')) parts.push(path.join(dayDir, f));
  }
  return parts.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}
