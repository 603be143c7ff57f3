// Runs one route's handler on one fetched page and collects what it emits and enqueues. The crawl
// runner, `trawl reparse` and `trawl try` all go through here, so they judge a page alike.
import { load, type CheerioAPI } from 'cheerio';
import type { Page } from 'playwright';
import type { Logger } from '../lib/logger.ts';
import type { RawRecord } from '../raw/index.ts';
import type { CrawlerKind, EmitInput, SpiderDefinition, SpiderRequest } from '../spiders/index.ts';
import { YieldGuardError } from './crawl-errors.ts';
import { toRawLine } from './to-raw-line.ts';

export interface FetchedPage {
  url: string;
  /** Where the response came from after redirects; the requested url when there were none. */
  loadedUrl: string;
  label: string;
  userData: Record<string, unknown>;
  body: string;
  headers?: Record<string, string>;
  captured: { url: string; body: string }[];
  /** The Cheerio crawler's own parse, when it has one. */
  $?: CheerioAPI;
  page?: Page;
}

export interface RouteOutput {
  lines: RawRecord[];
  /** Requests the handler enqueued that were accepted (on-site, known route). */
  enqueued: SpiderRequest[];
  /** Set when the handler said the page legitimately yields nothing. */
  noResults: string | undefined;
  /** Set when the page yielded less than its route declares. */
  yieldError: YieldGuardError | undefined;
}

export interface RouteRunOptions {
  kind: CrawlerKind;
  baseUrl: string;
  scope: Record<string, unknown>;
  /** When the page was observed. */
  at: Date;
  log: Logger;
  /** Takes the handler's requests; returns those accepted (the crawler filters off-site and robots-disallowed ones). */
  enqueue(requests: SpiderRequest[]): Promise<SpiderRequest[]>;
}

export async function runRoute(spider: SpiderDefinition, fetched: FetchedPage, opts: RouteRunOptions): Promise<RouteOutput> {
  const route = spider.routes[fetched.label];
  if (!route) throw new Error(`spider ${spider.name} has no route ${fetched.label}`);
  const out: RouteOutput = { lines: [], enqueued: [], noResults: undefined, yieldError: undefined };
  // Parsed HTML: the Cheerio crawler's own, else parsed on first use.
  let $ = opts.kind === 'cheerio' ? fetched.$ : undefined;
  await route.handle({
    request: { url: fetched.url, loadedUrl: fetched.loadedUrl, label: fetched.label, userData: fetched.userData },
    body: fetched.body,
    headers: fetched.headers ?? {},
    get $() {
      if (opts.kind !== 'http') $ ??= load(fetched.body);
      return $;
    },
    page: fetched.page,
    baseUrl: opts.baseUrl,
    captured: fetched.captured,
    scope: opts.scope,
    enqueue: async (r) => void out.enqueued.push(...(await opts.enqueue(Array.isArray(r) ? r : [r]))),
    emit: (input: EmitInput) => void out.lines.push(toRawLine(spider, input, fetched.loadedUrl, opts.at)),
    noResults: (reason) => {
      out.noResults = reason;
      opts.log.info({ url: fetched.url, reason }, 'page yields nothing, as its source says');
    },
    log: opts.log,
  });
  const expected = route.yields ?? 'records-or-requests';
  const records = out.lines.length > 0;
  const requests = out.enqueued.length > 0;
  const yielded = { records, requests, 'records-or-requests': records || requests, anything: true }[expected];
  if (!yielded && out.noResults === undefined) out.yieldError = new YieldGuardError(fetched.url, fetched.label, expected);
  return out;
}
