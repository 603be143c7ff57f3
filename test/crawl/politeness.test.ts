// Politeness and robustness, each against a local server that misbehaves on purpose.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { retryDelaySecs } from '../../src/crawl/request-errors.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { defineSpider, type Politeness } from '../../src/spiders/define-spider.ts';
import demoStore from '../../src/spiders/demo-store/demo-store.ts';
import { startDemoServer } from '../../src/spiders/demo-store/demo-server.ts';

interface Hit {
  path: string;
  at: number;
  ua: string | undefined;
}

/** A server whose answers the test scripts per path; it records every request. */
async function misbehavingServer(handler: (path: string, count: number, res: http.ServerResponse) => void, host = '127.0.0.1') {
  const hits: Hit[] = [];
  let inflight = 0;
  let maxInflight = 0;
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = req.url ?? '/';
    hits.push({ path: p, at: Date.now(), ua: req.headers['user-agent'] });
    counts.set(p, (counts.get(p) ?? 0) + 1);
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    res.on('close', () => inflight--);
    if (p === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nDisallow: /private\n');
    handler(p, counts.get(p)!, res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    hits,
    maxInflight: () => maxInflight,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A minimal JSON spider: each start path is fetched; every answer's {items} become records. */
function testSpider(paths: string[], politeness: Partial<Politeness> = {}) {
  return defineSpider({
    name: 'probe',
    description: 'test spider',
    kind: 'http',
    baseUrl: 'http://127.0.0.1',
    entity: 'item',
    schema: z.object({ id: z.string() }),
    key: (r) => `probe:${r.id}`,
    politeness: { maxConcurrency: 4, maxRequestRetries: 3, retryBackoffSecs: 0.1, requestTimeoutSecs: 5, ...politeness },
    start: ({ baseUrl }) => paths.map((p) => ({ url: `${baseUrl}${p}`, label: 'ITEM' })),
    routes: {
      ITEM: {
        handle({ body, emit }) {
          for (const id of (JSON.parse(body) as { items: string[] }).items) emit({ data: { id } });
        },
      },
    },
  });
}

const ok = (res: http.ServerResponse, items: string[] = ['a']) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items }));

async function crawl(spider: ReturnType<typeof testSpider>, baseUrl: string, env: Record<string, string> = {}, maxPages?: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-polite-'));
  const config = loadConfig({ TRAWL_DATA_DIR: dir, ...env }, dir);
  return runCrawl({ spider: spider as never, config, log: silentLogger, clock: fixedClock(new Date('2026-03-01T00:00:00Z')), baseUrl, maxPages });
}

describe('politeness', () => {
  it('sends the configured User-Agent and respects robots.txt', async () => {
    const server = await misbehavingServer((_p, _n, res) => ok(res));
    const r = await crawl(testSpider(['/a', '/private/b']), server.url, { TRAWL_USER_AGENT: 'trawl-test/1 (+mailto:ops@example.org)' });
    await server.close();
    expect(r).toMatchObject({ pages: 1, robotsSkipped: 1, complete: true });
    expect(server.hits.some((h) => h.path.startsWith('/private'))).toBe(false);
    expect(server.hits.filter((h) => h.path === '/a').map((h) => h.ua)).toEqual(['trawl-test/1 (+mailto:ops@example.org)']);
  });

  it('keeps to one request at a time, spaced, per domain', async () => {
    const server = await misbehavingServer((_p, _n, res) => setTimeout(() => ok(res), 30));
    await crawl(testSpider(['/1', '/2', '/3', '/4'], { maxConcurrency: 1, sameDomainDelaySecs: 0.3 }), server.url);
    await server.close();
    const pages = server.hits.filter((h) => /^\/\d$/.test(h.path));
    expect(pages).toHaveLength(4);
    expect(server.maxInflight()).toBe(1);
    for (let i = 1; i < pages.length; i++) expect(pages[i]!.at - pages[i - 1]!.at).toBeGreaterThanOrEqual(280);
  });

  it('retries 5xx with exponential backoff and honours Retry-After on 429', async () => {
    const server = await misbehavingServer((p, n, res) => {
      if (p === '/flaky' && n <= 2) return void res.writeHead(503).end('busy');
      if (p === '/limited' && n === 1) return void res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      ok(res, [p.slice(1)]);
    });
    const r = await crawl(testSpider(['/flaky', '/limited'], { retryBackoffSecs: 0.5 }), server.url);
    await server.close();
    expect(r).toMatchObject({ records: 2, failedRequests: 0, complete: true });
    const flaky = server.hits.filter((h) => h.path === '/flaky').map((h) => h.at);
    expect(flaky).toHaveLength(3);
    // Waits of 0.5 s, then 1 s: the backoff doubles.
    expect(flaky[1]! - flaky[0]!).toBeGreaterThanOrEqual(450);
    expect(flaky[2]! - flaky[1]!).toBeGreaterThanOrEqual(950);
    const limited = server.hits.filter((h) => h.path === '/limited').map((h) => h.at);
    expect(limited).toHaveLength(2);
    expect(limited[1]! - limited[0]!).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the retries, and the crawl is not complete', async () => {
    const server = await misbehavingServer((p, _n, res) => (p === '/broken' ? res.writeHead(500).end('no') : ok(res)));
    const r = await crawl(testSpider(['/broken', '/fine'], { maxRequestRetries: 2 }), server.url);
    await server.close();
    expect(r).toMatchObject({ failedRequests: 1, complete: false, records: 1 });
    expect(server.hits.filter((h) => h.path === '/broken')).toHaveLength(3);
  });

  it('times out a request that never answers', async () => {
    const server = await misbehavingServer((p, _n, res) => (p === '/hang' ? undefined : ok(res)));
    const r = await crawl(testSpider(['/hang', '/fine'], { requestTimeoutSecs: 1, maxRequestRetries: 1 }), server.url);
    await server.close();
    // It returned at all (a request with no timeout would hang it), having tried the silent URL twice.
    expect(r).toMatchObject({ failedRequests: 1, complete: false });
    expect(server.hits.filter((h) => h.path === '/hang')).toHaveLength(2);
  });

  it('never follows a redirect outside the allowed domains', async () => {
    const elsewhere = await misbehavingServer((_p, _n, res) => ok(res, ['stolen']), '127.0.0.2');
    const server = await misbehavingServer((p, _n, res) => (p === '/go' ? res.writeHead(302, { location: `${elsewhere.url}/x` }).end() : ok(res)));
    const r = await crawl(testSpider(['/go', '/fine']), server.url);
    await server.close();
    await elsewhere.close();
    expect(elsewhere.hits.filter((h) => h.path !== '/robots.txt')).toEqual([]);
    expect(r).toMatchObject({ records: 1, complete: false });
    expect(r.offDomainSkipped).toBeGreaterThan(0);
  });

  it('stops at the page budget, and a crawl cut by it is not complete', async () => {
    const demo = await startDemoServer({ day: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-budget-'));
    const r = await runCrawl({ spider: demoStore, config: loadConfig({ TRAWL_DATA_DIR: dir }, dir), log: silentLogger, clock: fixedClock(new Date()), baseUrl: demo.baseUrl, maxPages: 4 });
    await demo.close();
    expect(r).toMatchObject({ pages: 4, budgetCut: true, complete: false });
    const end = JSON.parse(fs.readFileSync(r.rawFile, 'utf8').trim().split('\n').at(-1)!);
    expect(end).toMatchObject({ control: 'end', complete: false, budget_cut: true });
  });

  it('a budget spent on retries leaves the crawl incomplete, though nothing is left queued', async () => {
    const server = await misbehavingServer((p, _n, res) => (p === '/flaky' ? res.writeHead(503).end('busy') : ok(res)));
    const r = await crawl(testSpider(['/flaky'], { maxRequestRetries: 5 }), server.url, {}, 3);
    await server.close();
    expect(server.hits.filter((h) => h.path === '/flaky')).toHaveLength(3);
    expect(r).toMatchObject({ records: 0, budgetCut: true, complete: false });
  });

  it('reads Retry-After in seconds or as a date, and backs off exponentially otherwise', () => {
    expect(retryDelaySecs('7', 0, 1)).toBe(7);
    expect(retryDelaySecs(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), 0, 1, Date.UTC(2026, 0, 1))).toBe(30);
    expect(retryDelaySecs('86400', 0, 1)).toBe(300);
    expect([0, 1, 2, 3].map((n) => retryDelaySecs(undefined, n, 1))).toEqual([1, 2, 4, 8]);
    expect(retryDelaySecs('soon', 10, 1)).toBe(60);
  });
});
