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
  /** `url` is what was requested; `loadedUrl` where the response came from after redirects (records default to it). */
  request: { url: string; loadedUrl: string; label: string; userData: Record<string, unknown> };
  /** The response body; for browser pages, the rendered HTML. */
  body: string;
  /** The response's headers, lower-cased; empty when replayed from stored bodies or a saved file. */
  headers: Record<string, string>;
  /** Parsed HTML (cheerio and playwright routes). */
  $: CheerioAPI | undefined;
  /** The browser page (playwright routes only). Undefined under `trawl reparse`: a browser route then reads `body` (the page as rendered) and `captured`. */
  page: Page | undefined;
  baseUrl: string;
  /** Browser routes with `capture`: the bodies of the page's responses it matched, as they arrived. */
  captured: { url: string; body: string }[];
  enqueue(requests: SpiderRequest | SpiderRequest[]): Promise<void>;
  emit(record: EmitInput): void;
  /**
   * Says this page legitimately yields nothing (the source reports zero results, a last page),
   * so the yield guard lets it pass. The reason is logged.
   */
  noResults(reason: string): void;
  /** The spider's validated scope (what to crawl), from the sources file or the spider's defaults. */
  scope: Record<string, unknown>;
  log: Logger;
}

/**
 * What a normal page of a route yields. A 200 response whose handler yields less fails its request
 * with a YieldGuardError (not retried; the crawl is then incomplete and delists nothing).
 * - `records`: at least one record;
 * - `requests`: at least one enqueued request;
 * - `records-or-requests` (the default): at least one of either;
 * - `anything`: an empty page is normal for this route.
 */
export type RouteYield = 'records' | 'requests' | 'records-or-requests' | 'anything';

export interface Route {
  kind?: CrawlerKind;
  /** Browser routes: keep the bodies of the responses whose URL this matches (XHR/GraphQL data). */
  capture?: (url: string) => boolean;
  /** What a normal page yields (see RouteYield); default `records-or-requests`. */
  yields?: RouteYield;
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

export interface SpiderDefinition<R = unknown, S extends Record<string, unknown> = Record<string, unknown>> {
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
  /** Set by the registry (lib/schema-hash.ts): the hash of the code this spider validates with. */
  schemaHash?: string;
  key(record: R): string;
  /** The partition a record belongs to (a country, say): delisting works per partition. */
  partition?(record: R): string;
  /**
   * The partitions a scope names, each with the scope narrowed to it (its countries, say), so that one
   * partition can be crawled alone (`trawl run <spider> --partition X`): its raw file then covers only
   * that partition. The names are the values `partition` gives the records.
   */
  partitions?(scope: S): Record<string, S>;
  /**
   * False for a spider whose scope is not a closed set (featured lists that change daily): its
   * crawls never delist a key they did not see. Default true.
   */
  delists?: boolean;
  /** Top-level data fields that never make a new version (timestamps, counters). */
  volatile?: string[];
  politeness?: Partial<Politeness>;
  /**
   * What to crawl (countries, categories, watchlists): a zod schema whose defaults are the spider's
   * default scope. An entry under the spider's name in the sources file (SOURCES_FILE) overrides it.
   */
  scope?: z.ZodType<S>;
  /** Hours a full crawl of the default scope may take at the politeness settings; the resume window follows it. */
  expectedCrawlHours?: number;
  start(ctx: { baseUrl: string; scope: S }): SpiderRequest[];
  routes: Record<string, Route>;
  /** Starts the site the spider crawls, when the spider brings its own. */
  serve?(opts: { day: number; port: number }): Promise<SpiderSite>;
}

export function defineSpider<R, S extends Record<string, unknown> = Record<string, unknown>>(definition: SpiderDefinition<R, S>): SpiderDefinition<R, S> {
  const scope = (definition.scope?.parse({}) ?? {}) as S;
  for (const req of definition.start({ baseUrl: definition.baseUrl, scope })) {
    if (!definition.routes[req.label]) throw new Error(`spider ${definition.name}: start request uses unknown route ${req.label}`);
  }
  return definition;
}
