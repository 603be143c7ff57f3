// A Crawlee crawler per kind: Cheerio for HTML, plain HTTP for JSON, Playwright for pages that need a
// browser (loaded only when such a page is due), all with the same politeness and guards.
import fs from 'node:fs';
// Crawlee's parts rather than its umbrella package: the umbrella loads every crawler kind (about 55 MB
// of resident memory for nothing).
import { CheerioCrawler } from '@crawlee/cheerio';
import type { Configuration, RequestQueue } from '@crawlee/core';
import { HttpCrawler } from '@crawlee/http';
import type { CheerioAPI } from 'cheerio';
import type { Logger } from '../lib/logger.ts';
import type { CrawlerKind, Politeness, SpiderDefinition } from '../spiders/index.ts';
import type { CrawlStats } from './crawl-stats.ts';
import type { FetchGuards } from './fetch-guards.ts';
import type { PageHandler } from './page-handler.ts';
import { requestErrorHandlers } from './request-errors.ts';

/** The part of Crawlee's crawlers the phase loop uses. */
export interface RunnableCrawler {
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

export interface CrawlerParts {
  spider: SpiderDefinition;
  politeness: Politeness;
  guards: FetchGuards;
  handler: PageHandler;
  stats: CrawlStats;
  log: Logger;
  userAgent: string;
  chromiumPath: string;
  crawleeConfig: Configuration;
}

/** A crawler of `kind` over `requestQueue` that fetches at most `budget` pages; undefined when a browser is needed and Chromium is missing. */
export async function makeCrawler(kind: CrawlerKind, requestQueue: RequestQueue, budget: number, p: CrawlerParts): Promise<RunnableCrawler | undefined> {
  const { politeness, guards, handler } = p;
  const shared = {
    requestQueue,
    maxRequestsPerCrawl: budget,
    // A fixed concurrency: Crawlee's autoscaling starts at one and climbs slowly.
    minConcurrency: politeness.maxConcurrency,
    maxConcurrency: politeness.maxConcurrency,
    maxRequestsPerMinute: politeness.maxRequestsPerMinute,
    maxRequestRetries: politeness.maxRequestRetries,
    requestHandlerTimeoutSecs: politeness.requestTimeoutSecs,
    navigationTimeoutSecs: politeness.requestTimeoutSecs,
    // robots.txt is checked when a request is queued (src/crawl/robots.ts), with trawl's User-Agent.
    respectRobotsTxtFile: false,
    ...requestErrorHandlers(p.stats, politeness, p.log, handler.showProgress),
  };
  if (kind === 'cheerio') {
    return new CheerioCrawler(
      {
        ...shared,
        preNavigationHooks: [guards.gotHook],
        postNavigationHooks: [guards.capBody],
        // Crawlee's cheerio is the same library, typed through its CommonJS build.
        requestHandler: async (ctx) => handler.handle(kind, { request: ctx.request, $: ctx.$ as unknown as CheerioAPI, response: ctx.response }, ctx.body.toString()),
      },
      p.crawleeConfig,
    );
  }
  if (kind === 'http') {
    return new HttpCrawler(
      {
        ...shared,
        additionalMimeTypes: ['application/json'],
        preNavigationHooks: [guards.gotHook],
        postNavigationHooks: [guards.capBody],
        requestHandler: async (ctx) => handler.handle(kind, ctx, ctx.body.toString()),
      },
      p.crawleeConfig,
    );
  }
  if (!fs.existsSync(p.chromiumPath)) return undefined;
  const [{ PlaywrightCrawler }, { chromium }] = await Promise.all([import('@crawlee/playwright'), import('playwright')]);
  return new PlaywrightCrawler(
    {
      ...shared,
      headless: true,
      browserPoolOptions: { useFingerprints: false },
      launchContext: {
        launcher: chromium,
        userAgent: p.userAgent,
        // Playwright's own handlers would end the process on Ctrl-C (exit 130: no summary, the
        // .part left); trawl's stop handler closes the browser with the crawl instead.
        launchOptions: { executablePath: p.chromiumPath, args: CHROMIUM_ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false },
      },
      preNavigationHooks: [
        async ({ page, request }) => {
          await guards.guardPage(page, request);
          const capture = p.spider.routes[request.label ?? '']?.capture;
          if (!capture) return;
          const store: { url: string; body: string }[] = [];
          handler.captures.set(request.uniqueKey, store);
          page.on('response', (res) => {
            if (capture(res.url())) void res.text().then((b) => store.push({ url: res.url(), body: b }), () => undefined);
          });
        },
      ],
      requestHandler: async (ctx) => handler.handle(kind, ctx, await ctx.page.content(), ctx.page),
    },
    p.crawleeConfig,
  );
}
