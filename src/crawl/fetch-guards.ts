// What every fetch passes before it is made: the page budget, the spacing per host, the allowed
// domains (redirects included), trawl's own User-Agent, and the body size limit as it streams.
import type { OptionsInit } from 'got-scraping';
import type { Page } from 'playwright';
import type { Politeness } from '../spiders/index.ts';
import { BodyTooLargeError, BudgetReachedError, OffDomainRedirectError } from './crawl-errors.ts';
import type { CrawlStats } from './crawl-stats.ts';

export class FetchGuards {
  // Spacing per host, ours rather than Crawlee's sameDomainDelaySecs, which skips hosts without a
  // registrable domain (IP addresses, localhost) and so could not be shown to work.
  private readonly hostNext = new Map<string, number>();

  constructor(
    private readonly politeness: Politeness,
    private readonly allowedHosts: Set<string>,
    private readonly userAgent: string,
    private readonly maxPages: number,
    private readonly stats: CrawlStats,
  ) {}

  isAllowed(url: string): boolean {
    return this.allowedHosts.has(new URL(url).host);
  }

  /** Fetches the budget still allows. */
  remaining(): number {
    return this.maxPages - this.stats.fetchesStarted;
  }

  /** The page budget is a hard cap on fetches: a slot is taken before each one. */
  takeBudget(request: { noRetry: boolean }): void {
    if (this.stats.fetchesStarted >= this.maxPages) {
      request.noRetry = true;
      throw new BudgetReachedError();
    }
    this.stats.fetchesStarted++;
  }

  async spaceRequest(url: string): Promise<void> {
    const delayMs = this.politeness.sameDomainDelaySecs * 1000;
    if (delayMs <= 0) return;
    const host = new URL(url).host;
    const now = Date.now();
    const at = Math.max(now, this.hostNext.get(host) ?? 0);
    this.hostNext.set(host, at + delayMs);
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }

  /** The HTTP crawlers' pre-navigation hook. */
  readonly gotHook = async ({ request }: { request: { url: string; noRetry: boolean } }, gotOptions: OptionsInit): Promise<void> => {
    this.takeBudget(request);
    await this.spaceRequest(request.url);
    gotOptions.headers = { ...gotOptions.headers, 'user-agent': this.userAgent };
    // trawl says who it is: no generated browser-like headers (costly per request, and they would pose as a browser).
    (gotOptions as { useHeaderGenerator?: boolean }).useHeaderGenerator = false;
    gotOptions.hooks = { ...gotOptions.hooks, beforeRedirect: [...(gotOptions.hooks?.beforeRedirect ?? []), this.refuseOffDomainRedirect] };
  };

  /** got refuses, before following it, a redirect to a host outside the allowed domains. */
  private readonly refuseOffDomainRedirect = (options: { url?: URL | string }): void => {
    const host = new URL(String(options.url)).host;
    if (!this.allowedHosts.has(host)) throw new OffDomainRedirectError(host);
  };

  /** The browser's pre-navigation guard: budget, spacing, and no request outside the allowed domains (no third parties, no off-domain redirects). */
  async guardPage(page: Page, request: { url: string; noRetry: boolean }): Promise<void> {
    this.takeBudget(request);
    await this.spaceRequest(request.url);
    await page.route('**/*', (route) => (this.isAllowed(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  }

  /** Fails a response whose body passes the size limit, declared or as it streams in, without reading the rest. */
  readonly capBody = ({ request, response }: { request: { noRetry: boolean }; response?: unknown }): void => {
    const stream = response as (NodeJS.EventEmitter & { headers?: Record<string, string>; destroy(err: Error): void }) | undefined;
    if (!stream) return;
    const max = this.politeness.maxBodyBytes;
    const declared = Number(stream.headers?.['content-length'] ?? 0);
    if (declared > max) {
      request.noRetry = true;
      throw new BodyTooLargeError(`${declared} bytes declared, the limit is ${max}`);
    }
    // got's progress event, not 'data': listening must not start the stream flowing before Crawlee reads it.
    stream.on('downloadProgress', ({ transferred }: { transferred: number }) => {
      if (transferred <= max) return;
      request.noRetry = true;
      stream.destroy(new BodyTooLargeError(`more than ${max} bytes`));
    });
  };
}
