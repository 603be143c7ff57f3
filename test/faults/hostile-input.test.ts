// Hostile and malformed input through the real crawler and ingest, from a local server: truncated and
// invalid JSON and HTML, an enormous page, endless pagination, a redirect loop, a wrong content type,
// bytes that are not UTF-8, absurd prices. No crash; every bad record is quarantined with its reason;
// nothing the crawler was not meant to read is read.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { runCrawl, type CrawlResult } from '../../src/crawl/run-crawl.ts';
import type { Database } from '../../src/db/database.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { PriceParseError } from '../../src/lib/money.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { sourceRulesOf } from '../../src/pipeline/source-rules.ts';
import { defineSpider, type EmitInput } from '../../src/spiders/define-spider.ts';
import { offerSchema, readOfferPrice } from '../../src/spiders/lib/offer.ts';
import { ingestFile } from '../../src/staging/ingest.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

const MAX_BODY = 256 * 1024;
const HUGE = 64 * 1024 * 1024;

interface Item {
  id: string;
  title: string;
  price: string;
}

/** The hostile shop. Counts what it sent of the enormous page. */
async function hostileServer() {
  const sent = { huge: 0, hugeDeclared: 0, endless: 0, loop: 0 };
  const json = (res: http.ServerResponse, body: unknown, type = 'application/json') => res.writeHead(200, { 'content-type': type }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/robots.txt':
        return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\n');
      case '/api/prices':
        return json(res, {
          items: [
            { id: 'ok1', title: 'A fine game', price: '$19.99' },
            { id: 'huge-price', title: 'Gold plated', price: '$99,999,999,999.99' },
            { id: 'negative', title: 'Refund', price: '-$5.00' },
            { id: 'nan', title: 'Broken', price: 'NaN' },
            { id: 'exp', title: 'Science', price: '$1e308' },
            { id: 'tiny', title: 'Fraction', price: '$0.001' },
            { id: 'empty', title: 'Nothing', price: '' },
            { id: 'notitle', title: '   ', price: '$5.00' },
            { id: 'nul', title: 'Null\u0000byte', price: '$5.00' },
          ] satisfies Item[],
        });
      case '/api/truncated':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[{"id":"t1","title":"Cut","price":"$1');
      case '/api/not-json':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>Service unavailable</html>');
      case '/api/wrong-type':
        return json(res, { items: [{ id: 'img', title: 'Image?', price: '$1.00' }] }, 'image/png');
      case '/api/latin1':
        // "Café" in ISO-8859-1, declared: decoded correctly.
        return void res.writeHead(200, { 'content-type': 'application/json; charset=iso-8859-1' }).end(Buffer.from('{"items":[{"id":"latin","title":"Caf\xe9","price":"$2.00"}]}', 'latin1'));
      case '/api/bad-utf8':
        // Invalid UTF-8 bytes in a body that claims UTF-8: replaced, not a crash.
        return void res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(Buffer.concat([Buffer.from('{"items":[{"id":"bytes","title":"Bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","price":"$3.00"}]}')]));
      case '/api/huge': {
        // Streamed without a length: the crawler must stop reading at its limit.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const pump = () => {
          while (sent.huge < HUGE) {
            sent.huge += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => undefined);
        return pump();
      }
      case '/api/huge-declared':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE) });
        sent.hugeDeclared += 1;
        return void res.write('{"items":[');
      case '/api/endless': {
        sent.endless++;
        const page = Number(url.searchParams.get('page') ?? 1);
        return json(res, { items: [{ id: `e${page}`, title: `Page ${page}`, price: '$1.00' }], next: `/api/endless?page=${page + 1}` });
      }
      case '/api/loop-a':
      case '/api/loop-b':
        sent.loop++;
        return void res.writeHead(302, { location: url.pathname === '/api/loop-a' ? '/api/loop-b' : '/api/loop-a' }).end();
      case '/shop/broken.html':
        // Truncated HTML: a product with its price cut off, one whole.
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html><body><div class="p" data-id="h1"><h2>Whole</h2><span class="price">€4,99</span></div><div class="p" data-id="h2"><h2>Cut</h2><span class="pr');
      default:
        return void res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

function offer(item: Item, currency: string, url: string): EmitInput {
  const base = { store: 'hostile', store_item_id: item.id, title: item.title, url, region: 'us', currency };
  try {
    return { data: { ...base, ...readOfferPrice(item.price, null, currency) }, sourceFields: { price: item.price } };
  } catch (err) {
    if (!(err instanceof PriceParseError)) throw err;
    return { data: base, sourceFields: { price: item.price }, error: err.message };
  }
}

const hostile = defineSpider({
  name: 'hostile',
  description: 'a spider over a hostile shop',
  kind: 'http',
  baseUrl: 'http://127.0.0.1',
  entity: 'offer',
  schema: offerSchema,
  key: (o) => `hostile:${o.store_item_id}`,
  // No retries: which request the page budget cuts stays the same from run to run.
  politeness: { maxConcurrency: 4, maxRequestRetries: 0, retryBackoffSecs: 0.05, requestTimeoutSecs: 10, maxBodyBytes: MAX_BODY },
  // The HTML page first: its Cheerio phase runs before endless pagination spends the page budget.
  start: ({ baseUrl }) =>
    [
      { url: `${baseUrl}/shop/broken.html`, label: 'HTML' },
      ...['prices', 'truncated', 'not-json', 'wrong-type', 'latin1', 'bad-utf8', 'huge', 'huge-declared', 'endless', 'loop-a'].map((p) => ({ url: `${baseUrl}/api/${p}`, label: 'API' })),
    ],
  routes: {
    API: {
      async handle({ body, request, enqueue, emit }) {
        const page = JSON.parse(body) as { items: Item[]; next?: string };
        for (const item of page.items) emit(offer(item, 'USD', request.url));
        if (page.next) await enqueue({ url: new URL(page.next, request.url).href, label: 'API' });
      },
    },
    HTML: {
      kind: 'cheerio',
      handle({ $, request, emit }) {
        $!('div.p').each((_, el) => {
          emit(offer({ id: $!(el).attr('data-id') ?? '', title: $!(el).find('h2').text(), price: $!(el).find('.price').text() }, 'EUR', request.url));
        });
      },
    },
  },
});

let dir: string;
let config: Config;
let database: Database;
let testDb: TestDatabase;
let server: Awaited<ReturnType<typeof hostileServer>>;
let crawl: CrawlResult;
let quarantine: { key: string | null; reason: string }[];
let landed: { key: string; data: Record<string, unknown> }[];
let rssBefore: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-hostile-'));
  ({ database, config, testDb } = await openTestDatabase(dir));
  server = await hostileServer();
  rssBefore = process.memoryUsage().rss;
  crawl = await runCrawl({ spider: hostile as never, config, log: silentLogger, clock: fixedClock(new Date('2026-03-01T00:00:00Z')), baseUrl: server.url, maxPages: 30 });
  await ingestFile({ pool: database.pool, rawDir: config.rawDir, file: crawl.rawFile, rules: sourceRulesOf(new Map([['hostile', hostile as never]])), delistMaxMissingShare: 0.5, log: silentLogger });
  quarantine = (await database.pool.query('SELECT key, reason FROM staging.quarantine ORDER BY key')).rows;
  landed = (await database.pool.query(`SELECT key, data FROM staging.versions WHERE source = 'hostile' ORDER BY key`)).rows;
});

afterAll(async () => {
  await server?.close();
  await database?.close();
  await testDb?.drop();
});

const reasonOf = (key: string) => quarantine.find((q) => q.key === `hostile:${key}`)?.reason;

describe('hostile input through the crawler', () => {
  it('absurd and unreadable prices are quarantined with a reason quoting them', () => {
    expect(reasonOf('huge-price')).toMatch(/"\$99,999,999,999\.99": implausibly large/);
    expect(reasonOf('negative')).toMatch(/"-\$5\.00": a sign/);
    expect(reasonOf('nan')).toMatch(/"NaN": no number/);
    expect(reasonOf('exp')).toMatch(/"\$1e308"/);
    expect(reasonOf('tiny')).toMatch(/"\$0\.001"/);
    expect(reasonOf('empty')).toMatch(/"": empty/);
    expect(reasonOf('notitle')).toMatch(/title/);
    expect(reasonOf('nul')).toMatch(/NUL/);
    // The HTML page cut mid-tag: the whole product lands, the cut one is quarantined for its price.
    expect(reasonOf('h2')).toMatch(/cannot read price ""/);
  });

  it('the good records land, text in another encoding decoded and bad bytes replaced', () => {
    const byKey = Object.fromEntries(landed.map((l) => [l.key.replace('hostile:', ''), l.data]));
    expect(byKey.ok1).toMatchObject({ amount: 1999, currency: 'USD' });
    expect(byKey.h1).toMatchObject({ amount: 499, currency: 'EUR', title: 'Whole' });
    expect(byKey.latin).toMatchObject({ title: 'Café' });
    expect(byKey.bytes!.title).toContain('\uFFFD');
    // Nothing from the pages that should not have been read.
    expect(byKey.img).toBeUndefined();
    expect(byKey.t1).toBeUndefined();
  });

  it('an enormous page is cut off at the size limit, declared or streamed, and memory stays bounded', () => {
    expect(server.sent.huge).toBeLessThan(HUGE / 4);
    expect(server.sent.hugeDeclared).toBe(1); // refused on its header, not retried
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(HUGE);
  });

  it('endless pagination stops at the page budget, a redirect loop gives up: the crawl is not complete', () => {
    expect(crawl.budgetCut).toBe(true);
    expect(server.sent.endless).toBeLessThan(30);
    expect(server.sent.loop).toBeLessThan(40);
    // Truncated JSON, not-JSON, a wrong content type, the enormous pages and the loop each fail their request.
    expect(crawl.failedRequests).toBe(6);
    expect(crawl.complete).toBe(false);
  });
});
