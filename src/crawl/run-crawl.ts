// Runs one spider with Crawlee and lands what it emits in a raw file. Needs no database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// Crawlee's parts rather than its umbrella package, and Playwright only when a browser page is due:
// the umbrella loads every crawler kind (about 55 MB of resident memory for nothing).
import { CheerioCrawler } from '@crawlee/cheerio';
import { Configuration, log as crawleeLog, LogLevel, Request, RequestQueue } from '@crawlee/core';
import { HttpCrawler } from '@crawlee/http';
import type { OptionsInit } from 'got-scraping';
import type { CheerioAPI } from 'cheerio';
import type { Page } from 'playwright';
import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { failpoint } from '../lib/failpoint.ts';
import { tightenHeap } from '../lib/tight-heap.ts';
import type { Logger } from '../lib/logger.ts';
import { startProgress } from '../lib/progress.ts';
import { archiveRawFile, claimPart, rawFileRelPath, RawWriter, releasePart, type RunEnd } from '../raw/index.ts';
import { bodyFilePath, BodyWriter } from './body-store.ts';
import { type Journal, type PageMarker, readJournal, unfinishedRuns } from './crawl-journal.ts';
import { BodyTooLargeError, BudgetReachedError, errorOfClass, OffDomainRedirectError, YieldGuardError } from './crawl-errors.ts';
import { robotsPolicy } from './robots.ts';
import { type RouteOutput, runRoute } from './run-route.ts';
import {
  DEFAULT_POLITENESS,
  type CrawlerKind,
  type Politeness,
  type SpiderDefinition,
  type SpiderRequest,
} from '../spiders/index.ts';
import { resolveScope } from '../spiders/index.ts';

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

/**
 * An unfinished run younger than this is resumed; an older one is closed as incomplete and a new run
 * starts. A spider whose full crawl takes longer (expectedCrawlHours) gets twice its crawl time.
 */
const RESUME_WINDOW_HOURS = 12;

export function resumeWindowHours(spider: Pick<SpiderDefinition, 'expectedCrawlHours'>): number {
  return Math.max(RESUME_WINDOW_HOURS, 2 * (spider.expectedCrawlHours ?? 0));
}

/** Seconds to wait before a retry: the server's Retry-After (seconds or a date, capped at 5 minutes), else exponential backoff. */
export function retryDelaySecs(retryAfter: unknown, retryCount: number, baseSecs: number, now = Date.now()): number {
  if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
    const secs = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : (Date.parse(retryAfter) - now) / 1000;
    if (Number.isFinite(secs) && secs >= 0) return Math.min(secs, 300);
  }
  return Math.min(60, baseSecs * 2 ** retryCount);
}

/** The part of Crawlee's crawlers the phase loop uses. */
interface RunnableCrawler {
  run(): Promise<unknown>;
  stop(message?: string): void;
}

/** Chromium flags for a closed network, as root: without them it floods refused connections. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export async function runCrawl(opts: CrawlOptions): Promise<CrawlResult> {
  const { spider, config, log, clock } = opts;
  tightenHeap();
  // Crawlee's own lines are plain text: only at trace level, so JSON logs stay JSON lines.
  crawleeLog.setLevel(log.isLevelEnabled('trace') ? LogLevel.INFO : LogLevel.OFF);
  const started = Date.now();
  const maxPages = opts.maxPages ?? config.crawlMaxPages;
  const scope = opts.scope ?? resolveScope(spider, config);
  // The raw file first: a failure here (a run still writing, an unwritable folder) leaves nothing open.
  const journal = await takeUnfinishedRun(spider.name, config.rawDir, clock.now(), opts.fresh ?? false, resumeWindowHours(spider), log);
  const startedAt = journal?.startedAt ?? clock.now();
  const runId = journal?.runId ?? `${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${crypto.randomBytes(3).toString('hex')}`;
  const rawRel = rawFileRelPath(spider.name, startedAt, runId);
  const writer = new RawWriter(path.join(config.rawDir, rawRel));
  let site: Awaited<ReturnType<NonNullable<SpiderDefinition['serve']>>> | undefined;
  let bodies: BodyWriter | undefined;
  try {
    if (!journal) writer.start({ control: 'start', run_id: runId, source: spider.name, started_at: startedAt.toISOString() });
    bodies = config.retention.bodyDays > 0 ? new BodyWriter(bodyFilePath(config.bodiesDir, rawRel)) : undefined;
    site = spider.serve && !opts.baseUrl ? await spider.serve({ day: opts.day ?? 1, port: config.demoPort }) : undefined;
  } catch (err) {
    // Set aside for the next run, which resumes it.
    writer.abandon();
    bodies?.close();
    throw err;
  }
  const baseUrl = opts.baseUrl ?? site?.baseUrl ?? spider.baseUrl;
  const politeness: Politeness = { ...DEFAULT_POLITENESS, ...spider.politeness };
  const allowedHosts = new Set([...(spider.allowedDomains ?? []), new URL(baseUrl).host]);
  const robots = politeness.respectRobotsTxt ? robotsPolicy({ userAgent: config.userAgent, timeoutMs: politeness.requestTimeoutSecs * 1000 }) : undefined;
  let bodiesWarned = false;

  const stats = { pages: journal?.done.size ?? 0, records: journal?.records ?? 0, invalid: journal?.invalid ?? 0, failed: 0, yieldGuard: 0, robots: 0, offSite: journal?.offDomain ?? 0, offDomain: 0, browserMissing: 0 };
  const partitions: Record<string, number> = { ...journal?.partitions };
  const done = journal?.done ?? new Set<string>();
  if (journal) log.info({ run_id: runId, pages_done: done.size, records: stats.records, cut_bytes: journal.truncatedBytes }, 'resuming an unfinished run');
  const progress = startProgress({ label: `crawl ${spider.name}`, log });
  // The rate counts this attempt's pages only.
  const pagesBefore = stats.pages;
  const showProgress = () => {
    // Requests waiting or in flight, as Crawlee's queues count them.
    let queued = 0;
    for (const q of queues.values()) queued += q.assumedTotalCount - q.assumedHandledCount;
    const rate = (stats.pages - pagesBefore) / Math.max(1, (Date.now() - started) / 1000);
    progress.update({ pages: stats.pages, queued, records: stats.records, invalid: stats.invalid, failed: stats.failed, 'pages/s': rate.toFixed(1) });
  };
  const crawleeConfig = new Configuration({ persistStorage: false, purgeOnStart: true });
  const queues = new Map<CrawlerKind, RequestQueue>();
  const queueFor = async (kind: CrawlerKind) => {
    let q = queues.get(kind);
    if (!q) {
      q = await RequestQueue.open(`${spider.name}-${kind}-${runId}`, { config: crawleeConfig });
      queues.set(kind, q);
    }
    return q;
  };

  /** The requests of a page that may be queued: a known route, on-site, allowed by robots.txt. */
  const accept = async (requests: SpiderRequest[]): Promise<SpiderRequest[]> => {
    const accepted: SpiderRequest[] = [];
    for (const r of requests) {
      if (!spider.routes[r.label]) throw new Error(`spider ${spider.name}: no route ${r.label} for ${r.url}`);
      if (!allowedHosts.has(new URL(r.url).host)) {
        stats.offSite++;
        log.info({ url: r.url }, 'off-site link skipped');
        continue;
      }
      const verdict = robots ? await robots.verdict(r.url) : 'allowed';
      if (verdict === 'disallowed') {
        stats.robots++;
        log.info({ url: r.url, reason: 'robotsTxt' }, 'request skipped');
        continue;
      }
      if (verdict === 'unreachable') {
        // Not crawled (RFC 9309: an unreachable robots.txt disallows all), and not a complete crawl either.
        stats.failed++;
        log.error({ url: r.url }, `robots.txt of ${new URL(r.url).origin} could not be fetched: request not made`);
        continue;
      }
      accepted.push(r);
    }
    return accepted;
  };
  /** Puts accepted requests on their crawler kind's queue, but for those this run already did. */
  const queue = async (requests: SpiderRequest[]) => {
    for (const r of requests) {
      const uniqueKey = new Request({ url: r.url, ...(r.uniqueKey ? { uniqueKey: r.uniqueKey } : {}) }).uniqueKey;
      if (done.has(uniqueKey)) continue;
      await (await queueFor(spider.routes[r.label]!.kind ?? spider.kind)).addRequest({ url: r.url, label: r.label, userData: r.userData ?? {}, uniqueKey });
    }
  };
  const enqueue = async (requests: SpiderRequest[]) => queue(await accept(requests));

  /** A page's lines and its marker in one write: the file then says the page is done. */
  const commitPage = (request: { url: string; uniqueKey: string; label?: string; userData: Record<string, unknown> }, loadedUrl: string, out: RouteOutput, offSite: number, body: string, captured: { url: string; body: string }[]) => {
    const kept = bodies?.add({ key: request.uniqueKey, url: request.url, loaded_url: loadedUrl, label: request.label ?? '', userData: request.userData, fetched_at: clock.now().toISOString(), body, captured });
    if (kept === false && !bodiesWarned) {
      bodiesWarned = true;
      log.warn({ file: bodies!.file, err: bodies!.failed }, 'response bodies are no longer kept for this run (the crawl goes on; trawl reparse of it will be incomplete)');
    }
    const marker: PageMarker = { control: 'page', key: request.uniqueKey, enqueued: out.enqueued, ...(offSite ? { off_domain: offSite } : {}) };
    failpoint('crawl.before-page-write');
    writer.write([...out.lines.map((l) => JSON.stringify(l)), JSON.stringify(marker)]);
    done.add(request.uniqueKey);
    failpoint('crawl.after-page-write');
    for (const line of out.lines) {
      if (line.invalid) stats.invalid++;
      else {
        stats.records++;
        partitions[line.partition ?? 'all'] = (partitions[line.partition ?? 'all'] ?? 0) + 1;
      }
    }
  };

  // Responses a browser route asked to capture, per request, registered before navigation.
  const captures = new Map<string, { url: string; body: string }[]>();
  const handle = async (
    kind: CrawlerKind,
    ctx: { request: { url: string; uniqueKey: string; loadedUrl?: string; label?: string; userData: Record<string, unknown>; noRetry: boolean }; $?: CheerioAPI; response?: unknown },
    body: string,
    page?: Page,
  ) => {
    const { request } = ctx;
    const loaded = request.loadedUrl ?? request.url;
    if (!allowedHosts.has(new URL(loaded).host)) {
      stats.offDomain++;
      log.warn({ url: request.url, redirectedTo: loaded }, 'redirect outside the allowed domains ignored');
      return;
    }
    // Written by an earlier attempt of this run just before it was killed.
    if (done.has(request.uniqueKey)) return;
    const captured = captures.get(request.uniqueKey) ?? [];
    const offSiteBefore = stats.offSite;
    const out = await runRoute(
      spider,
      { url: request.url, loadedUrl: loaded, label: request.label ?? '', userData: request.userData, body, headers: responseHeaders(ctx.response), captured, $: ctx.$, page },
      { kind, baseUrl, scope, at: clock.now(), log, enqueue: accept },
    );
    if (out.yieldError) {
      // Not retried: the same answer would yield the same nothing. Nothing it enqueued is followed.
      request.noRetry = true;
      throw out.yieldError;
    }
    await queue(out.enqueued);
    // The page is on disk before Crawlee marks the request handled. A browser page is kept as rendered.
    commitPage(request, loaded, out, stats.offSite - offSiteBefore, page ? await page.content() : body, captured);
    captures.delete(request.uniqueKey);
    stats.pages++;
    showProgress();
  };

  // Spacing per host, ours rather than Crawlee's sameDomainDelaySecs, which skips hosts without a
  // registrable domain (IP addresses, localhost) and so could not be shown to work.
  const hostNext = new Map<string, number>();
  // The page budget is a hard cap on fetches: a slot is taken before each one.
  let fetchesStarted = stats.pages;
  let budgetSkipped = 0;
  const takeBudget = (request: { noRetry: boolean }) => {
    if (fetchesStarted >= maxPages) {
      request.noRetry = true;
      throw new BudgetReachedError();
    }
    fetchesStarted++;
  };
  const spaceRequest = async (url: string) => {
    const delayMs = politeness.sameDomainDelaySecs * 1000;
    if (delayMs <= 0) return;
    const host = new URL(url).host;
    const now = Date.now();
    const at = Math.max(now, hostNext.get(host) ?? 0);
    hostNext.set(host, at + delayMs);
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };

  const common = {
    // A fixed concurrency: Crawlee's autoscaling starts at one and climbs slowly.
    minConcurrency: politeness.maxConcurrency,
    maxConcurrency: politeness.maxConcurrency,
    maxRequestsPerMinute: politeness.maxRequestsPerMinute,
    maxRequestRetries: politeness.maxRequestRetries,
    requestHandlerTimeoutSecs: politeness.requestTimeoutSecs,
    navigationTimeoutSecs: politeness.requestTimeoutSecs,
    // robots.txt is checked when a request is queued (src/crawl/robots.ts), with trawl's User-Agent.
    respectRobotsTxtFile: false,
    failedRequestHandler: ({ request }: { request: { url: string } }, error: Error) => {
      if (errorOfClass(error, BudgetReachedError)) {
        budgetSkipped++;
        return;
      }
      if (errorOfClass(error, OffDomainRedirectError)) {
        stats.offDomain++;
        log.warn({ url: request.url, err: error.message }, 'redirect outside the allowed domains refused');
        return;
      }
      stats.failed++;
      if (error instanceof YieldGuardError) stats.yieldGuard++;
      showProgress();
      log.error({ url: request.url, err: error.message, ...(error instanceof YieldGuardError ? { yield_guard: true } : {}) }, 'request failed after retries');
    },
    // Before each retry: an off-domain redirect is final; otherwise wait as the server asks
    // (Retry-After on 429/503) or back off exponentially.
    errorHandler: async ({ request, response }: { request: { url: string; retryCount: number; noRetry: boolean }; response?: unknown }, error: Error) => {
      if (errorOfClass(error, BudgetReachedError) || error instanceof YieldGuardError) return;
      // Final at once; counted when the request fails (also with no retries, where this never runs).
      if (errorOfClass(error, OffDomainRedirectError)) {
        request.noRetry = true;
        return;
      }
      // An HTTP crawler's response has a headers object, a browser's a headers() method.
      const res = response as { statusCode?: number; headers?: Record<string, unknown> | (() => Record<string, string>) } | undefined;
      const headers = typeof res?.headers === 'function' ? res.headers() : res?.headers;
      const waitSecs = retryDelaySecs(headers?.['retry-after'], request.retryCount, politeness.retryBackoffSecs);
      log.info({ url: request.url, status: res?.statusCode, retry: request.retryCount + 1, wait_s: waitSecs, err: error.message }, 'retrying');
      await new Promise((r) => setTimeout(r, waitSecs * 1000));
    },
  };
  /** got refuses, before following it, a redirect to a host outside the allowed domains. */
  const refuseOffDomainRedirect = (options: { url?: URL | string }) => {
    const host = new URL(String(options.url)).host;
    if (!allowedHosts.has(host)) throw new OffDomainRedirectError(host);
  };
  const gotHook = async ({ request }: { request: { url: string; noRetry: boolean } }, gotOptions: OptionsInit) => {
    takeBudget(request);
    await spaceRequest(request.url);
    gotOptions.headers = { ...gotOptions.headers, 'user-agent': config.userAgent };
    // trawl says who it is: no generated browser-like headers (costly per request, and they would pose as a browser).
    (gotOptions as { useHeaderGenerator?: boolean }).useHeaderGenerator = false;
    gotOptions.hooks = { ...gotOptions.hooks, beforeRedirect: [...(gotOptions.hooks?.beforeRedirect ?? []), refuseOffDomainRedirect] };
  };

  /** Fails a response whose body passes the size limit, declared or as it streams in, without reading the rest. */
  const capBody = ({ request, response }: { request: { noRetry: boolean }; response?: unknown }) => {
    const stream = response as (NodeJS.EventEmitter & { headers?: Record<string, string>; destroy(err: Error): void }) | undefined;
    if (!stream) return;
    const max = politeness.maxBodyBytes;
    const declared = Number(stream.headers?.['content-length'] ?? 0);
    if (declared > max) {
      request.noRetry = true;
      throw new BodyTooLargeError(`${declared} bytes declared, the limit is ${max}`);
    }
    // got's progress event, not 'data': listening must not start the stream flowing before Crawlee reads it.
    stream.on('downloadProgress', ({ transferred }: { transferred: number }) => {
      if (transferred <= max) return;
      request.noRetry = true;
      stream.destroy(new BodyTooLargeError(`more than ${max} bytes`));
    });
  };

  const makeCrawler = async (kind: CrawlerKind, requestQueue: RequestQueue, budget: number): Promise<RunnableCrawler | undefined> => {
    const shared = { ...common, requestQueue, maxRequestsPerCrawl: budget };
    if (kind === 'cheerio') {
      return new CheerioCrawler(
        {
          ...shared,
          preNavigationHooks: [gotHook],
          postNavigationHooks: [capBody],
          // Crawlee's cheerio is the same library, typed through its CommonJS build.
          requestHandler: async (ctx) => handle(kind, { request: ctx.request, $: ctx.$ as unknown as CheerioAPI, response: ctx.response }, ctx.body.toString()),
        },
        crawleeConfig,
      );
    }
    if (kind === 'http') {
      return new HttpCrawler(
        {
          ...shared,
          additionalMimeTypes: ['application/json'],
          preNavigationHooks: [gotHook],
          postNavigationHooks: [capBody],
          requestHandler: async (ctx) => handle(kind, ctx, ctx.body.toString()),
        },
        crawleeConfig,
      );
    }
    if (!fs.existsSync(config.chromiumPath)) return undefined;
    const [{ PlaywrightCrawler }, { chromium }] = await Promise.all([import('@crawlee/playwright'), import('playwright')]);
    return new PlaywrightCrawler(
      {
        ...shared,
        headless: true,
        browserPoolOptions: { useFingerprints: false },
        launchContext: {
          launcher: chromium,
          userAgent: config.userAgent,
          // Playwright's own handlers would end the process on Ctrl-C (exit 130: no summary, the
          // .part left); trawl's stop handler closes the browser with the crawl instead.
          launchOptions: { executablePath: config.chromiumPath, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false },
        },
        preNavigationHooks: [
          async ({ page, request }) => {
            takeBudget(request);
            await spaceRequest(request.url);
            // The browser requests nothing outside the allowed domains: no third parties, no off-domain redirects.
            await page.route('**/*', (route) => (allowedHosts.has(new URL(route.request().url()).host) ? route.continue() : route.abort('blockedbyclient')));
            const capture = spider.routes[request.label ?? '']?.capture;
            if (!capture) return;
            const store: { url: string; body: string }[] = [];
            captures.set(request.uniqueKey, store);
            page.on('response', (res) => {
              if (capture(res.url())) void res.text().then((b) => store.push({ url: res.url(), body: b }), () => undefined);
            });
          },
        ],
        requestHandler: async (ctx) => handle(kind, ctx, await ctx.page.content(), ctx.page),
      },
      crawleeConfig,
    );
  };

  let aborted = false;
  const onAbort = () => {
    aborted = true;
  };
  opts.signal?.addEventListener('abort', onAbort);
  try {
    await enqueue(spider.start({ baseUrl, scope }));
    if (journal) await enqueue(journal.enqueued);
    // Phases: each kind of crawler drains its queue; handlers may feed other kinds' queues.
    for (let pass = 0; pass < 100 && !aborted; pass++) {
      let worked = false;
      for (const [kind, queue] of queues) {
        if (aborted || (await queue.isFinished())) continue;
        const budget = maxPages - fetchesStarted;
        if (budget <= 0) {
          if (!(await queue.isFinished())) budgetSkipped++;
          break;
        }
        const crawler = await makeCrawler(kind, queue, budget);
        if (!crawler) {
          const pending = (await queue.getTotalCount()) - (await queue.handledCount());
          stats.browserMissing += pending;
          log.error({ chromium: config.chromiumPath, pages: pending }, `Chromium not found at ${config.chromiumPath}: ${pending} browser page(s) skipped, the crawl is incomplete (set CHROMIUM_PATH or apt-get install chromium)`);
          await queue.drop();
          queues.delete(kind);
          continue;
        }
        const stop = () => void crawler.stop('aborted');
        opts.signal?.addEventListener('abort', stop);
        await crawler.run();
        opts.signal?.removeEventListener('abort', stop);
        worked = true;
      }
      if (!worked) break;
    }
  } catch (err) {
    progress.done();
    writer.abandon();
    bodies?.close();
    await site?.close();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  progress.done();

  let unfinished = 0;
  for (const q of queues.values()) if (!(await q.isFinished())) unfinished++;
  const budgetCut = budgetSkipped > 0 || (unfinished > 0 && fetchesStarted >= maxPages);
  const incompleteReasons = [
    ...(aborted ? ['stopped by a signal'] : []),
    ...(budgetCut ? [`page budget of ${maxPages} reached`] : []),
    ...(stats.yieldGuard ? [`${stats.yieldGuard} page(s) yielded nothing where they should`] : []),
    ...(stats.failed - stats.yieldGuard > 0 ? [`${stats.failed - stats.yieldGuard} request(s) failed`] : []),
    ...(stats.browserMissing ? [`${stats.browserMissing} browser page(s) skipped: no Chromium`] : []),
    ...(stats.offDomain ? [`${stats.offDomain} request(s) redirected off the allowed domains`] : []),
    ...(unfinished > 0 && !budgetCut && !aborted ? ['requests left unfinished'] : []),
  ];
  const complete = incompleteReasons.length === 0;
  const end: RunEnd = {
    control: 'end',
    run_id: runId,
    source: spider.name,
    started_at: startedAt.toISOString(),
    finished_at: clock.now().toISOString(),
    complete,
    // No partitions, nothing to delist: a spider that never delists names none.
    partitions: spider.delists === false ? {} : partitions,
    pages: stats.pages,
    records: stats.records,
    invalid: stats.invalid,
    failed_requests: stats.failed + stats.browserMissing,
    budget_cut: budgetCut,
  };
  bodies?.close();
  failpoint('crawl.before-finish');
  const rawFile = writer.finish(end);
  failpoint('crawl.after-finish');
  for (const q of queues.values()) await q.drop().catch(() => undefined);
  await site?.close();
  let archived: string | undefined;
  if (config.rawArchive) {
    // The local file stays the source for ingest; `trawl archive` (and every `trawl run`) uploads what is missing.
    archived = await archiveRawFile(config, rawFile).catch((err: unknown) => {
      log.warn({ file: rawFile, err: (err as Error).message }, 'raw file not archived');
      return undefined;
    });
  }
  return {
    spider: spider.name,
    runId,
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
    incompleteReasons,
    complete,
    resumed: journal !== undefined,
    archived,
    durationMs: Date.now() - started,
  };
}

/** A response's headers as plain lower-cased strings: got's object, or Playwright's headers(). */
function responseHeaders(response: unknown): Record<string, string> {
  const res = response as { headers?: Record<string, unknown> | (() => Record<string, string>) } | undefined;
  const raw = typeof res?.headers === 'function' ? res.headers() : (res?.headers ?? {});
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]));
}

/**
 * The newest unfinished run of a spider, to resume, unless `fresh` or older than the resume window.
 * Every other unfinished run is closed as incomplete so ingest takes its records.
 */
async function takeUnfinishedRun(spider: string, rawDir: string, now: Date, fresh: boolean, windowHours: number, log: Logger): Promise<Journal | undefined> {
  const parts = unfinishedRuns(rawDir, spider);
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
