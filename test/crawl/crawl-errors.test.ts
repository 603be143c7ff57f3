// Crawl errors are told apart by class, also when got wraps them in its own RequestError.
import { RequestError } from 'got';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, BudgetReachedError, errorOfClass, OffDomainRedirectError, YieldGuardError } from '../../src/crawl/crawl-errors.ts';

describe('crawl errors', () => {
  it('are found by class, wrapped or not, and never by their message', () => {
    const offDomain = new OffDomainRedirectError('elsewhere.example');
    const wrapped = new RequestError(offDomain.message, offDomain, {} as never);
    expect(errorOfClass(wrapped, OffDomainRedirectError)).toBe(offDomain);
    expect(errorOfClass(offDomain, OffDomainRedirectError)?.host).toBe('elsewhere.example');
    expect(errorOfClass(wrapped, BudgetReachedError)).toBeUndefined();
    // Another error that says the same words is not one of them.
    expect(errorOfClass(new Error(new BudgetReachedError().message), BudgetReachedError)).toBeUndefined();
    expect(errorOfClass(new BodyTooLargeError('more than 10 bytes'), BodyTooLargeError)).toBeInstanceOf(BodyTooLargeError);
    expect(errorOfClass(new YieldGuardError('http://x/', 'LIST', 'records'), YieldGuardError)).toBeInstanceOf(YieldGuardError);
    expect(errorOfClass('not an error', OffDomainRedirectError)).toBeUndefined();
  });
});
