// Runs one spider with Crawlee and lands what it emits in a raw file. Needs no database.
// The parts: resume.ts (a killed run taken up again), fetch-guards.ts (budget, spacing, domains, body
// size), request-errors.ts (retries), crawler-factory.ts (a crawler per kind), page-handler.ts (a
// fetched page into raw lines), crawl-stats.ts (the counts and what they say about completeness).
import crypto from 'node:crypto';
import path from 'node:path';
import { Configuration, log as crawleeLog, LogLevel } from '@crawlee/core';
import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { failpoint } from '../lib/failpoint.ts';
import type { Logger } from '../lib/logger.ts';
import { startProgress } from '../lib/progress.ts';
import { tightenHeap } from '../lib/tight-heap.ts';
import { archiveRawFile, rawFileRelPath, RawWriter, type RunEnd } from '../raw/index.ts';
import { DEFAULT_POLITENESS, partitionScope, resolveScope, type Politeness, type SpiderDefinition } from '../spiders/index.ts';
import { bodyFilePath, BodyWriter } from './body-store.ts';
import type { Journal } from './crawl-journal.ts';
import { type CrawlStats, incompleteReasons, startStats } from './crawl-stats.ts';
import { type CrawlerParts, makeCrawler } from './crawler-factory.ts';
import { FetchGuards } from './fetch-guards.ts';
import { PageHandler } from './page-handler.ts';
import { partitionMark, resumeWindowHours, takeUnfinishedRun } from './resume.ts';
import { robotsPolicy } from './robots.ts';

export interface CrawlOptions {
  spider: SpiderDefinition;
  config: Config;
  log: Logger;
  clock: Clock;
  /** Crawl this site instead of the spider's own (tests, a running demo server). */
  baseUrl?: string;
  /** Demo day for spiders that serve their own site. */
  day?: number;
  maxPages?: number;
  /** Start a new run even if an unfinished one could be resumed (that one is closed as incomplete). */
  fresh?: boolean;
  /** What to crawl (the spider's validated scope); default: its entry in SOURCES_FILE, else its defaults. */
  scope?: Record<string, unknown>;
  /**
   * Crawl one partition of the scope only (a country, say): the run id names it, so that its raw file,
   * and the resume of a killed run, are that partition's alone.
   */
  partition?: string;
  signal?: AbortSignal;
}

export interface CrawlResult {
  spider: string;
  runId: string;
  rawFile: string;
  pages: number;
  records: number;
  invalid: number;
  failedRequests: number;
  /** Pages whose route yielded nothing where it should (counted in failedRequests too). */
  yieldGuardFailures: number;
  robotsSkipped: number;
  /** Off-site links handlers enqueued, skipped (they do not make a crawl incomplete). */
  offSiteSkipped: number;
  /** Requests refused because they redirected off the allowed domains (these do). */
  offDomainSkipped: number;
  budgetCut: boolean;
  /** Why the crawl is not complete, in words; empty when it is. */
  incompleteReasons: string[];
  complete: boolean;
  /** This run continued an unfinished one (a killed crawl). */
  resumed: boolean;
  /** Where RAW_ARCHIVE holds a copy. */
  archived: string | undefined;
  durationMs: number;
}

/** A run's raw file, opened (or taken up again), its body store, and the site a spider serves itself. */
interface OpenRun {
  journal: Journal | undefined;
  runId: string;
  startedAt: Date;
  writer: RawWriter;
  bodies: BodyWriter | undefined;
  site: { baseUrl: string; close(): Promise<void> } | undefined;
}

async function openRun(opts: CrawlOptions): Promise<OpenRun> {
  const { spider, config, clock, log } = opts;
  // The raw file first: a failure here (a run still writing, an unwritable folder) leaves nothing open.
  const journal = await takeUnfinishedRun(spider.name, config.rawDir, clock.now(), { fresh: opts.fresh ?? false, windowHours: resumeWindowHours(spider), partition: opts.partition }, log);
  const startedAt = journal?.startedAt ?? clock.now();
  const runId = journal?.runId ?? `${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${crypto.randomBytes(3).toString('hex')}${opts.partition ? partitionMark(opts.partition) : ''}`;
  const rawRel = rawFileRelPath(spider.name, startedAt, runId);
  const writer = new RawWriter(path.join(config.rawDir, rawRel));
  let bodies: BodyWriter | undefined;
  try {
    if (!journal) writer.start({ control: 'start', run_id: runId, source: spider.name, started_at: startedAt.toISOString(), ...(spider.schemaHash ? { schema_hash: spider.schemaHash } : {}) });
    bodies = config.retention.bodyDays > 0 ? new BodyWriter(bodyFilePath(config.bodiesDir, rawRel)) : undefined;
    const site = spider.serve && !opts.baseUrl ? await spider.serve({ day: opts.day ?? 1, port: config.demoPort }) : undefined;
    if (journal) log.info({ run_id: runId, pages_done: journal.done.size, records: journal.records, cut_bytes: journal.truncatedBytes }, 'resuming an unfinished run');
    return { journal, runId, startedAt, writer, bodies, site };
  } catch (err) {
    // Set aside for the next run, which resumes it.
    writer.abandon();
    bodies?.close();
    throw err;
  }
}

/**
 * Runs one spider into a raw file: resumed if a young unfinished run exists, closed with a trailer that
 * says whether it is complete. Needs no database.
 *
 * @example
 * const [spider] = await resolveSpiders(['steam']);
 * const r = await runCrawl({ spider: spider!, config, log, clock: systemClock });
 * // r.rawFile: data/raw/steam/<date>/<run>.jsonl; r.complete: whether it may delist
 */
export async function runCrawl(opts: CrawlOptions): Promise<CrawlResult> {
  const { spider, config, log, clock } = opts;
  tightenHeap();
  // Crawlee's own lines are plain text: only at trace level, so JSON logs stay JSON lines.
  crawleeLog.setLevel(log.isLevelEnabled('trace') ? LogLevel.INFO : LogLevel.OFF);
  const started = Date.now();
  const maxPages = opts.maxPages ?? config.crawlMaxPages;
  const whole = opts.scope ?? resolveScope(spider, config);
  const scope = opts.partition === undefined ? whole : partitionScope(spider, whole, opts.partition);
  const run = await openRun(opts);
  const baseUrl = opts.baseUrl ?? run.site?.baseUrl ?? spider.baseUrl;
  const politeness: Politeness = { ...DEFAULT_POLITENESS, ...spider.politeness };
  const stats = startStats(run.journal);
  const guards = new FetchGuards(politeness, new Set([...(spider.allowedDomains ?? []), new URL(baseUrl).host]), config.userAgent, maxPages, stats);
  const robots = politeness.respectRobotsTxt ? robotsPolicy({ userAgent: config.userAgent, timeoutMs: politeness.requestTimeoutSecs * 1000 }) : undefined;
  const progress = startProgress({ label: `crawl ${spider.name}`, log });
  const crawleeConfig = new Configuration({ persistStorage: false, purgeOnStart: true });
  const done = run.journal?.done ?? new Set<string>();
  const handler = new PageHandler({ spider, runId: run.runId, baseUrl, scope, clock, log, stats, guards, robots, writer: run.writer, bodies: run.bodies, done, crawleeConfig, progress });
  let aborted = false;
  try {
    await handler.enqueue(spider.start({ baseUrl, scope }));
    if (run.journal) await handler.enqueue(run.journal.enqueued);
    aborted = await runPhases({ spider, politeness, guards, handler, stats, log, userAgent: config.userAgent, chromiumPath: config.chromiumPath, crawleeConfig }, opts.signal);
  } catch (err) {
    progress.done();
    run.writer.abandon();
    run.bodies?.close();
    await run.site?.close();
    throw err;
  }
  progress.done();
  return finishRun(opts, run, handler, stats, { aborted, maxPages, started });
}

/**
 * Phases: each kind of crawler drains its queue; handlers may feed other kinds' queues, so the kinds
 * take turns until none has work. Returns whether a stop signal ended it.
 */
async function runPhases(parts: CrawlerParts, signal: AbortSignal | undefined): Promise<boolean> {
  const { handler, guards, stats, log, chromiumPath } = parts;
  for (let pass = 0; pass < 100 && !signal?.aborted; pass++) {
    let worked = false;
    for (const [kind, queue] of handler.queues) {
      if (signal?.aborted || (await queue.isFinished())) continue;
      const budget = guards.remaining();
      if (budget <= 0) {
        if (!(await queue.isFinished())) stats.budgetSkipped++;
        break;
      }
      const crawler = await makeCrawler(kind, queue, budget, parts);
      if (!crawler) {
        const pending = (await queue.getTotalCount()) - (await queue.handledCount());
        stats.browserMissing += pending;
        log.error({ chromium: chromiumPath, pages: pending }, `Chromium not found at ${chromiumPath}: ${pending} browser page(s) skipped, the crawl is incomplete (set CHROMIUM_PATH or apt-get install chromium)`);
        await queue.drop();
        handler.queues.delete(kind);
        continue;
      }
      const stop = () => void crawler.stop('aborted');
      signal?.addEventListener('abort', stop);
      await crawler.run();
      signal?.removeEventListener('abort', stop);
      worked = true;
    }
    if (!worked) break;
  }
  return signal?.aborted === true;
}

/** Writes the trailer (the raw file is then final), drops the queues, archives the file, and sums up. */
async function finishRun(opts: CrawlOptions, run: OpenRun, handler: PageHandler, stats: CrawlStats, o: { aborted: boolean; maxPages: number; started: number }): Promise<CrawlResult> {
  const { spider, config, log, clock } = opts;
  let unfinishedQueues = 0;
  for (const q of handler.queues.values()) if (!(await q.isFinished())) unfinishedQueues++;
  const budgetCut = stats.budgetSkipped > 0 || (unfinishedQueues > 0 && stats.fetchesStarted >= o.maxPages);
  const reasons = incompleteReasons(stats, { aborted: o.aborted, budgetCut, unfinishedQueues, maxPages: o.maxPages });
  const complete = reasons.length === 0;
  const end: RunEnd = {
    control: 'end',
    run_id: run.runId,
    source: spider.name,
    started_at: run.startedAt.toISOString(),
    finished_at: clock.now().toISOString(),
    complete,
    // No partitions, nothing to delist: a spider that never delists names none.
    partitions: spider.delists === false ? {} : stats.partitions,
    pages: stats.pages,
    records: stats.records,
    invalid: stats.invalid,
    failed_requests: stats.failed + stats.browserMissing,
    budget_cut: budgetCut,
  };
  run.bodies?.close();
  failpoint('crawl.before-finish');
  const rawFile = run.writer.finish(end);
  failpoint('crawl.after-finish');
  for (const q of handler.queues.values()) await q.drop().catch(() => undefined);
  await run.site?.close();
  // The local file stays the source for ingest; `trawl archive` (and every `trawl run`) uploads what is missing.
  const archived = config.rawArchive
    ? await archiveRawFile(config, rawFile).catch((err: unknown) => {
        log.warn({ file: rawFile, err: (err as Error).message }, 'raw file not archived');
        return undefined;
      })
    : undefined;
  return {
    spider: spider.name,
    runId: run.runId,
    rawFile,
    pages: stats.pages,
    records: stats.records,
    invalid: stats.invalid,
    failedRequests: stats.failed + stats.browserMissing,
    yieldGuardFailures: stats.yieldGuard,
    robotsSkipped: stats.robots,
    offSiteSkipped: stats.offSite,
    offDomainSkipped: stats.offDomain,
    budgetCut,
    incompleteReasons: reasons,
    complete,
    resumed: run.journal !== undefined,
    archived,
    durationMs: Date.now() - o.started,
  };
}
