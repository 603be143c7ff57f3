// What a crawl counts as it goes, and what the counts say about its completeness.
import type { Journal } from './crawl-journal.ts';

export interface CrawlStats {
  pages: number;
  records: number;
  invalid: number;
  failed: number;
  /** Pages whose route yielded nothing where it should (counted in failed too). */
  yieldGuard: number;
  robots: number;
  /** Off-site links handlers enqueued, skipped (they do not make a crawl incomplete). */
  offSite: number;
  /** Requests refused because they redirected off the allowed domains (these do). */
  offDomain: number;
  browserMissing: number;
  /** Fetches begun: the page budget is a hard cap on these. */
  fetchesStarted: number;
  /** Requests the budget left unfetched. */
  budgetSkipped: number;
  /** Valid records per partition, for the run's trailer. */
  partitions: Record<string, number>;
}

/** Fresh counts, or those of the run being resumed. */
export function startStats(journal: Journal | undefined): CrawlStats {
  const pages = journal?.done.size ?? 0;
  return {
    pages,
    records: journal?.records ?? 0,
    invalid: journal?.invalid ?? 0,
    failed: 0,
    yieldGuard: 0,
    robots: 0,
    offSite: journal?.offDomain ?? 0,
    offDomain: 0,
    browserMissing: 0,
    fetchesStarted: pages,
    budgetSkipped: 0,
    partitions: { ...journal?.partitions },
  };
}

/** Why a crawl is not complete, in words; empty when it is. */
export function incompleteReasons(stats: CrawlStats, opts: { aborted: boolean; budgetCut: boolean; unfinishedQueues: number; maxPages: number }): string[] {
  return [
    ...(opts.aborted ? ['stopped by a signal'] : []),
    ...(opts.budgetCut ? [`page budget of ${opts.maxPages} reached`] : []),
    ...(stats.yieldGuard ? [`${stats.yieldGuard} page(s) yielded nothing where they should`] : []),
    ...(stats.failed - stats.yieldGuard > 0 ? [`${stats.failed - stats.yieldGuard} request(s) failed`] : []),
    ...(stats.browserMissing ? [`${stats.browserMissing} browser page(s) skipped: no Chromium`] : []),
    ...(stats.offDomain ? [`${stats.offDomain} request(s) redirected off the allowed domains`] : []),
    ...(opts.unfinishedQueues > 0 && !opts.budgetCut && !opts.aborted ? ['requests left unfinished'] : []),
  ];
}
