// The crawl stage: spiders run by Crawlee into raw files (plus `try` and `reparse`).
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { reparse } from './reparse.ts';
export { resumeWindowHours } from './resume.ts';
export { type CrawlResult, runCrawl } from './run-crawl.ts';
export { formatTryResult, tryRoute } from './try-route.ts';
