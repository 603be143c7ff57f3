// What the public page downloads, measured in real Chromium: the bytes of every response (as stored:
// the S3 server sends them uncompressed) for the first screen, and for each search after it.
import { chromium } from 'playwright';
import { CHROMIUM_ARGS } from '../../src/crawl/crawler-factory.ts';

export interface PageBytes {
  firstScreenKb: number;
  firstScreenObjects: string[];
  searches: { query: string; kb: number; objects: string[]; results: number }[];
}

export async function measurePage(url: string, chromiumPath: string, queries: string[]): Promise<PageBytes> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    let got: { path: string; bytes: number }[] = [];
    const pending: Promise<void>[] = [];
    page.on('response', (res) => {
      pending.push(res.body().then((b) => void got.push({ path: new URL(res.url()).pathname, bytes: b.length }), () => undefined));
    });
    const take = async () => {
      await Promise.all(pending.splice(0));
      const all = got;
      got = [];
      return { kb: all.reduce((s, r) => s + r.bytes, 0) / 1024, objects: all.map((r) => r.path.replace(/^.*?\/(v1\/|vendor\/|[^/]+$)/, '$1')) };
    };
    await page.goto(url);
    await page.waitForSelector('body[data-ready=true]');
    const first = await take();
    const searches = [];
    for (const query of queries) {
      await page.fill('#search', query);
      await page.waitForSelector(`body[data-searched="${query}"]`);
      const s = await take();
      searches.push({ query, ...s, results: await page.locator('#results li').count() });
    }
    return { firstScreenKb: first.kb, firstScreenObjects: first.objects, searches };
  } finally {
    await browser.close();
  }
}
