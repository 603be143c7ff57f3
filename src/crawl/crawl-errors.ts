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

/** The run's page budget is spent: the request is not made, and the crawl is cut (not failed). */
export class BudgetReachedError extends Error {
  constructor() {
    super('page budget of this run reached');
    this.name = 'BudgetReachedError';
  }
}

/** A redirect to a host outside the spider's allowed domains: refused, final, counted apart. */
export class OffDomainRedirectError extends Error {
  constructor(readonly host: string) {
    super(`redirect outside the allowed domains: ${host}`);
    this.name = 'OffDomainRedirectError';
  }
}

/** A response body over the size limit, declared or as it streamed in: not read further, not retried. */
export class BodyTooLargeError extends Error {
  constructor(detail: string) {
    super(`response body over the size limit: ${detail}`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The error, or one it wraps (`cause`: got wraps its hooks' errors in its own), of class `C`.
 * Matched by class, never by message text.
 */
export function errorOfClass<T extends Error>(err: unknown, C: abstract new (...args: never[]) => T): T | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof C) return e;
  }
  return undefined;
}
