// Errors of one request that the crawl runner tells apart by class: each says what happens next.

/**
 * A 200 response whose route yielded less than it declares (see RouteYield): the parser found
 * nothing where a normal page has something, so the page changed or lied. Not retried; the crawl
 * is then incomplete, so nothing is delisted.
 */
export class YieldGuardError extends Error {
  constructor(
    readonly url: string,
    readonly label: string,
    readonly expected: string,
  ) {
    super(`route ${label} yielded nothing on ${url} (it declares ${expected}): the page may have changed`);
    this.name = 'YieldGuardError';
  }
}
