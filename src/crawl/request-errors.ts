// What happens to a request that failed: retried after the wait the server asks for (or a growing
// backoff), or counted as failed, skipped by the budget, or refused for an off-domain redirect.
import type { Logger } from '../lib/logger.ts';
import type { Politeness } from '../spiders/index.ts';
import { BudgetReachedError, errorOfClass, OffDomainRedirectError, YieldGuardError } from './crawl-errors.ts';
import type { CrawlStats } from './crawl-stats.ts';

/** Seconds to wait before a retry: the server's Retry-After (seconds or a date, capped at 5 minutes), else exponential backoff. */
export function retryDelaySecs(retryAfter: unknown, retryCount: number, baseSecs: number, now = Date.now()): number {
  if (typeof retryAfter === 'string' && retryAfter.trim() !== '') {
    const secs = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : (Date.parse(retryAfter) - now) / 1000;
    if (Number.isFinite(secs) && secs >= 0) return Math.min(secs, 300);
  }
  return Math.min(60, baseSecs * 2 ** retryCount);
}

/** Crawlee's errorHandler (before each retry) and failedRequestHandler (after the last attempt). */
export function requestErrorHandlers(stats: CrawlStats, politeness: Politeness, log: Logger, onFailed: () => void) {
  return {
    failedRequestHandler: ({ request }: { request: { url: string } }, error: Error) => {
      if (errorOfClass(error, BudgetReachedError)) {
        stats.budgetSkipped++;
        return;
      }
      if (errorOfClass(error, OffDomainRedirectError)) {
        stats.offDomain++;
        log.warn({ url: request.url, err: error.message }, 'redirect outside the allowed domains refused');
        return;
      }
      stats.failed++;
      if (error instanceof YieldGuardError) stats.yieldGuard++;
      onFailed();
      log.error({ url: request.url, err: error.message, ...(error instanceof YieldGuardError ? { yield_guard: true } : {}) }, 'request failed after retries');
    },
    // Before each retry: an off-domain redirect is final; otherwise wait as the server asks
    // (Retry-After on 429/503) or back off exponentially.
    errorHandler: async ({ request, response }: { request: { url: string; retryCount: number; noRetry: boolean }; response?: unknown }, error: Error) => {
      if (errorOfClass(error, BudgetReachedError) || error instanceof YieldGuardError) return;
      // Final at once; counted when the request fails (also with no retries, where this never runs).
      if (errorOfClass(error, OffDomainRedirectError)) {
        request.noRetry = true;
        return;
      }
      // An HTTP crawler's response has a headers object, a browser's a headers() method.
      const res = response as { statusCode?: number; headers?: Record<string, unknown> | (() => Record<string, string>) } | undefined;
      const headers = typeof res?.headers === 'function' ? res.headers() : res?.headers;
      const waitSecs = retryDelaySecs(headers?.['retry-after'], request.retryCount, politeness.retryBackoffSecs);
      log.info({ url: request.url, status: res?.statusCode, retry: request.retryCount + 1, wait_s: waitSecs, err: error.message }, 'retrying');
      await new Promise((r) => setTimeout(r, waitSecs * 1000));
    },
  };
}
