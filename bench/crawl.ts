// Crawl benchmark: the demo shop scaled to thousands of pages, crawled in one run by (a) a raw fetch
// loop (the ceiling), (b) a bare Crawlee CheerioCrawler with its default storage, (c) the trawl spider
// with raw landing and resume journal. Same concurrency for all; the demo's rate limit lifted for all.
// Options: --products N (default 5000; pages = N + N/5 + 13/5), --concurrency C (default 4, the demo spider's).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoServer } from '../src/spiders/demo-store/demo-server.ts';
import demoStore from '../src/spiders/demo-store/demo-store.ts';
import { report, round, runChild } from './lib/report.ts';

export async function run(opts: Record<string, string | undefined>): Promise<void> {
  const products = Number(opts.products ?? 5000);
  const concurrency = Number(opts.concurrency ?? demoStore.politeness?.maxConcurrency ?? 4);
  const server = await startDemoServer({ day: 1, extraProducts: products, js: false });
  const figures: Record<string, Record<string, number>> = {};
  try {
    for (const mode of ['fetch', 'crawlee', 'trawl'] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `trawl-bench-crawl-${mode}-`));
      console.error(`crawl bench: ${mode}`);
      figures[mode] = await runChild('bench/crawl-child.ts', [mode, server.baseUrl, String(concurrency), dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await server.close();
  }
  const rate = (m: string) => figures[m]!.pages! / (figures[m]!.ms! / 1000);
  const rows = [
    { crawler: '(a) fetch loop, keeps nothing', label: 'fetch' },
    { crawler: '(b) bare Crawlee CheerioCrawler, default storage', label: 'crawlee' },
    { crawler: '(c) trawl: raw JSON lines, resume journal, bodies', label: 'trawl' },
  ].map(({ crawler, label }) => ({
    crawler,
    pages: figures[label]!.pages!,
    'pages/s': Math.round(rate(label)),
    'vs (a)': round(rate(label) / rate('fetch')),
    'vs (b)': round(rate(label) / rate('crawlee')),
    'peak RSS MB': Math.round(figures[label]!.rssMb!),
    'disk MB': round(figures[label]!.diskMb!, 1),
  }));
  report(`crawl: the demo shop with ${products.toLocaleString()} extra products, concurrency ${concurrency} (targets: c >= 1.2 x b, RSS <= 300 MB)`, rows, {
    pages: figures.trawl!.pages!,
    trawl_pages_per_s: Math.round(rate('trawl')),
    crawlee_pages_per_s: Math.round(rate('crawlee')),
    fetch_pages_per_s: Math.round(rate('fetch')),
    ratio_vs_crawlee: round(rate('trawl') / rate('crawlee')),
    ratio_vs_fetch: round(rate('trawl') / rate('fetch')),
    peak_rss_mb: Math.round(figures.trawl!.rssMb!),
  });
}
