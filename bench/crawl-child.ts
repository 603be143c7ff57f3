// One measured crawl of the scaled demo shop, in its own process so its peak RSS is its own.
// Usage: crawl-child.ts fetch|crawlee|trawl <base url> <concurrency> <data dir>
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { runCrawl } from '../src/crawl/run-crawl.ts';
import { fixedClock } from '../src/lib/clock.ts';
import { silentLogger } from '../src/lib/logger.ts';
import demoStore, { demoOffers, parseDemoProductPage } from '../src/spiders/demo-store/demo-store.ts';

const [mode, baseUrl, concurrencyArg, dataDir] = process.argv.slice(2) as [string, string, string, string];
const concurrency = Number(concurrencyArg);
const started = performance.now();
let pages = 0;

if (mode === 'fetch') {
  // The ceiling: fetch every page, find the links with a regex, keep nothing.
  const queue = [`${baseUrl}/products?page=1`];
  const seen = new Set(queue);
  const worker = async () => {
    for (let url = queue.shift(); url; url = queue.shift()) {
      const html = await (await fetch(url)).text();
      pages++;
      for (const m of html.matchAll(/href="([^"]+)"/g)) {
        const next = new URL(m[1]!, url).href;
        if (!seen.has(next) && !next.includes('/admin/')) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  };
  // Workers start as the frontier grows: the first page is alone.
  while (queue.length > 0 || pages === 0) await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, worker));
} else if (mode === 'crawlee') {
  // Bare Crawlee with its default storage: a persisted request queue and pushData into its dataset.
  process.env.CRAWLEE_STORAGE_DIR = dataDir;
  const { CheerioCrawler, Configuration } = await import('crawlee');
  const crawler = new CheerioCrawler(
    {
      minConcurrency: concurrency,
      maxConcurrency: concurrency,
      maxRequestRetries: 3,
      async requestHandler({ request, body, enqueueLinks, pushData }) {
        if (request.label === 'PRODUCT') {
          const page = parseDemoProductPage(body.toString(), request.url);
          await pushData(demoOffers(page, request.url).map((r) => ({ ...(r.data as object), source_fields: r.sourceFields })));
        } else {
          await enqueueLinks({ selector: 'ul.products a.product', label: 'PRODUCT' });
          await enqueueLinks({ selector: 'a[rel=next]', label: 'LIST' });
        }
      },
    },
    new Configuration({ storageClientOptions: { localDataDirectory: dataDir } }),
  );
  const stats = await crawler.run([{ url: `${baseUrl}/products?page=1`, label: 'LIST' }]);
  pages = stats.requestsFinished;
} else if (mode === 'trawl') {
  // The trawl spider as it runs in production (raw lines with page markers, bodies kept), the rate limit
  // lifted for a loopback shop as it is for the other two.
  const spider = { ...demoStore, politeness: { ...demoStore.politeness, maxConcurrency: concurrency, maxRequestsPerMinute: 1_000_000 } };
  const config = loadConfig({ ...process.env, TRAWL_DATA_DIR: dataDir, CRAWL_MAX_PAGES: '1000000' }, dataDir);
  const r = await runCrawl({ spider, config, log: silentLogger, clock: fixedClock(new Date('2026-01-01T06:00:00Z')), baseUrl });
  if (!r.complete) throw new Error('the trawl crawl was not complete');
  pages = r.pages;
} else {
  throw new Error(`unknown mode ${mode}`);
}

const ms = performance.now() - started;
const diskMb = du(dataDir) / 1e6;
console.log(JSON.stringify({ pages, ms, rssMb: process.resourceUsage().maxRSS / 1024, diskMb }));

function du(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((n, f) => {
    const st = fs.statSync(path.join(dir, f));
    return st.isFile() ? n + st.size : n;
  }, 0);
}
