// The spider kit: a spider is data plus pure parse calls. The crawl runner (src/crawl) does all I/O.
import type { CheerioAPI } from 'cheerio';
import type { Page } from 'playwright';
import type { z } from 'zod';
import type { Logger } from '../lib/logger.ts';

/** http: plain HTTP for JSON APIs; cheerio: HTML parsed without a browser; playwright: a real browser. */
export type CrawlerKind = 'http' | 'cheerio' | 'playwright';

export interface SpiderRequest {
  url: string;
  label: string;
  userData?: Record<string, unknown>;
  /** Needed when one URL is fetched twice (e.g. again in a browser). */
  uniqueKey?: string;
}

export interface EmitInput {
  /** The normalised record, validated against the spider's schema before it is written. */
  data: unknown;
  /** What the source showed before normalisation (the price string as displayed). */
  sourceFields?: Record<string, unknown>;
  /** Set when the parser already knows the record is invalid (a price it cannot read): it is quarantined. */
  error?: string;
}

export interface HandlerContext {
  request: { url: string; label: string; userData: Record<string, unknown> };
  /** The response body; for browser pages, the rendered HTML. */
  body: string;
  /** Parsed HTML (cheerio and playwright routes). */
  $: CheerioAPI | undefined;
  /** The browser page (playwright routes only). Undefined under `trawl reparse`: a browser route then reads `body` (the page as rendered) and `captured`. */
  page: Page | undefined;
  baseUrl: string;
  /** Browser routes with `capture`: the bodies of the page's responses it matched, as they arrived. */
  captured: { url: string; body: string }[];
  enqueue(requests: SpiderRequest | SpiderRequest[]): Promise<void>;
  emit(record: EmitInput): void;
  log: Logger;
}

export interface Route {
  kind?: CrawlerKind;
  /** Browser routes: keep the bodies of the responses whose URL this matches (XHR/GraphQL data). */
  capture?: (url: string) => boolean;
  handle(ctx: HandlerContext): Promise<void> | void;
}

export interface Politeness {
  maxConcurrency: number;
  /** Minimum spacing between requests to one domain. */
  sameDomainDelaySecs: number;
  maxRequestsPerMinute: number;
  requestTimeoutSecs: number;
  maxRequestRetries: number;
  /** First retry waits this long, then doubles (capped at a minute); a Retry-After header wins. */
  retryBackoffSecs: number;
  respectRobotsTxt: boolean;
  /** A response body larger than this fails its request (not retried): a runaway page cannot exhaust memory. HTTP crawlers only. */
  maxBodyBytes: number;
}

export const DEFAULT_POLITENESS: Politeness = {
  maxConcurrency: 4,
  sameDomainDelaySecs: 0,
  maxRequestsPerMinute: 120,
  requestTimeoutSecs: 30,
  maxRequestRetries: 3,
  retryBackoffSecs: 1,
  respectRobotsTxt: true,
  maxBodyBytes: 20 * 1024 * 1024,
};

/** A site a spider brings along (the demo store serves itself). */
export interface SpiderSite {
  baseUrl: string;
  close(): Promise<void>;
}

export interface SpiderDefinition<R = unknown> {
  name: string;
  description: string;
  /** The kind of crawler for routes that do not name one. */
  kind: CrawlerKind;
  /** Where the source lives; tests point it at a local server. */
  baseUrl: string;
  /** Hosts the spider may request, redirects included; default: the host of baseUrl. */
  allowedDomains?: string[];
  entity: string;
  schema: z.ZodType<R>;
  key(record: R): string;
  /** The partition a record belongs to (a country, say): delisting works per partition. */
  partition?(record: R): string;
  /** Top-level data fields that never make a new version (timestamps, counters). */
  volatile?: string[];
  politeness?: Partial<Politeness>;
  start(ctx: { baseUrl: string }): SpiderRequest[];
  routes: Record<string, Route>;
  /** Starts the site the spider crawls, when the spider brings its own. */
  serve?(opts: { day: number; port: number }): Promise<SpiderSite>;
}

export function defineSpider<R>(definition: SpiderDefinition<R>): SpiderDefinition<R> {
  for (const req of definition.start({ baseUrl: definition.baseUrl })) {
    if (!definition.routes[req.label]) throw new Error(`spider ${definition.name}: start request uses unknown route ${req.label}`);
  }
  return definition;
}
