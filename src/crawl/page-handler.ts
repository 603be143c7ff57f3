// Each fetched page: run through its route, what it enqueues queued (known route, on-site, allowed by
// robots.txt, not done before), and its lines and done-marker written to the raw file in one write.
import { type Configuration, Request, RequestQueue } from '@crawlee/core';
import type { CheerioAPI } from 'cheerio';
import type { Page } from 'playwright';
import type { Clock } from '../lib/clock.ts';
import { failpoint } from '../lib/failpoint.ts';
import type { Logger } from '../lib/logger.ts';
import type { Progress } from '../lib/progress.ts';
import type { RawWriter } from '../raw/index.ts';
import type { CrawlerKind, SpiderDefinition, SpiderRequest } from '../spiders/index.ts';
import type { BodyWriter } from './body-store.ts';
import type { PageMarker } from './crawl-journal.ts';
import type { CrawlStats } from './crawl-stats.ts';
import type { FetchGuards } from './fetch-guards.ts';
import type { RobotsPolicy } from './robots.ts';
import { type RouteOutput, runRoute } from './run-route.ts';

/** A request as the crawlers hand it to a handler. */
export interface HandledRequest {
  url: string;
  uniqueKey: string;
  loadedUrl?: string;
  label?: string;
  userData: Record<string, unknown>;
  noRetry: boolean;
}

export interface PageHandlerParts {
  spider: SpiderDefinition;
  runId: string;
  baseUrl: string;
  scope: Record<string, unknown>;
  clock: Clock;
  log: Logger;
  stats: CrawlStats;
  guards: FetchGuards;
  robots: RobotsPolicy | undefined;
  writer: RawWriter;
  bodies: BodyWriter | undefined;
  /** Pages this run wrote already (a resumed run's journal). */
  done: Set<string>;
  crawleeConfig: Configuration;
  progress: Progress;
}

export class PageHandler {
  /** One request queue per crawler kind; handlers may feed other kinds' queues. */
  readonly queues = new Map<CrawlerKind, RequestQueue>();
  /** Responses a browser route asked to capture, per request, registered before navigation. */
  readonly captures = new Map<string, { url: string; body: string }[]>();
  private bodiesWarned = false;
  private readonly started = Date.now();
  private readonly pagesBefore: number;

  constructor(private readonly p: PageHandlerParts) {
    // The progress rate counts this attempt's pages only.
    this.pagesBefore = p.stats.pages;
  }

  /** Queues what the spider starts from, and what a resumed run had enqueued. */
  async enqueue(requests: SpiderRequest[]): Promise<void> {
    await this.queue(await this.accept(requests));
  }

  /** The requests of a page that may be queued: a known route, on-site, allowed by robots.txt. */
  readonly accept = async (requests: SpiderRequest[]): Promise<SpiderRequest[]> => {
    const { spider, stats, log, robots, guards } = this.p;
    const accepted: SpiderRequest[] = [];
    for (const r of requests) {
      if (!spider.routes[r.label]) throw new Error(`spider ${spider.name}: no route ${r.label} for ${r.url}`);
      if (!guards.isAllowed(r.url)) {
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
  private async queue(requests: SpiderRequest[]): Promise<void> {
    const { spider, done } = this.p;
    for (const r of requests) {
      const uniqueKey = new Request({ url: r.url, ...(r.uniqueKey ? { uniqueKey: r.uniqueKey } : {}) }).uniqueKey;
      if (done.has(uniqueKey)) continue;
      await (await this.queueFor(spider.routes[r.label]!.kind ?? spider.kind)).addRequest({ url: r.url, label: r.label, userData: r.userData ?? {}, uniqueKey });
    }
  }

  private async queueFor(kind: CrawlerKind): Promise<RequestQueue> {
    let q = this.queues.get(kind);
    if (!q) {
      q = await RequestQueue.open(`${this.p.spider.name}-${kind}-${this.p.runId}`, { config: this.p.crawleeConfig });
      this.queues.set(kind, q);
    }
    return q;
  }

  /** Runs a fetched page through its route and commits it; a page that yields nothing where it should fails, not retried. */
  async handle(kind: CrawlerKind, ctx: { request: HandledRequest; $?: CheerioAPI; response?: unknown }, body: string, page?: Page): Promise<void> {
    const { spider, stats, log, guards, clock, done } = this.p;
    const { request } = ctx;
    const loaded = request.loadedUrl ?? request.url;
    if (!guards.isAllowed(loaded)) {
      stats.offDomain++;
      log.warn({ url: request.url, redirectedTo: loaded }, 'redirect outside the allowed domains ignored');
      return;
    }
    // Written by an earlier attempt of this run just before it was killed.
    if (done.has(request.uniqueKey)) return;
    const captured = this.captures.get(request.uniqueKey) ?? [];
    const offSiteBefore = stats.offSite;
    const out = await runRoute(
      spider,
      { url: request.url, loadedUrl: loaded, label: request.label ?? '', userData: request.userData, body, headers: responseHeaders(ctx.response), captured, $: ctx.$, page },
      { kind, baseUrl: this.p.baseUrl, scope: this.p.scope, at: clock.now(), log, enqueue: this.accept },
    );
    if (out.yieldError) {
      // Not retried: the same answer would yield the same nothing. Nothing it enqueued is followed.
      request.noRetry = true;
      throw out.yieldError;
    }
    await this.queue(out.enqueued);
    // The page is on disk before Crawlee marks the request handled. A browser page is kept as rendered.
    this.commitPage(request, loaded, out, stats.offSite - offSiteBefore, page ? await page.content() : body, captured);
    this.captures.delete(request.uniqueKey);
    stats.pages++;
    this.showProgress();
  }

  /** A page's lines and its marker in one write: the file then says the page is done. */
  private commitPage(request: HandledRequest, loadedUrl: string, out: RouteOutput, offSite: number, body: string, captured: { url: string; body: string }[]): void {
    const { bodies, log, clock, writer, done, stats } = this.p;
    const kept = bodies?.add({ key: request.uniqueKey, url: request.url, loaded_url: loadedUrl, label: request.label ?? '', userData: request.userData, fetched_at: clock.now().toISOString(), body, captured });
    if (kept === false && !this.bodiesWarned) {
      this.bodiesWarned = true;
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
        stats.partitions[line.partition ?? 'all'] = (stats.partitions[line.partition ?? 'all'] ?? 0) + 1;
      }
    }
  }

  readonly showProgress = (): void => {
    const { stats, progress } = this.p;
    // Requests waiting or in flight, as Crawlee's queues count them.
    let queued = 0;
    for (const q of this.queues.values()) queued += q.assumedTotalCount - q.assumedHandledCount;
    const rate = (stats.pages - this.pagesBefore) / Math.max(1, (Date.now() - this.started) / 1000);
    progress.update({ pages: stats.pages, queued, records: stats.records, invalid: stats.invalid, failed: stats.failed, 'pages/s': rate.toFixed(1) });
  };
}

/** A response's headers as plain lower-cased strings: got's object, or Playwright's headers(). */
function responseHeaders(response: unknown): Record<string, string> {
  const res = response as { headers?: Record<string, unknown> | (() => Record<string, string>) } | undefined;
  const raw = typeof res?.headers === 'function' ? res.headers() : (res?.headers ?? {});
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]));
}
