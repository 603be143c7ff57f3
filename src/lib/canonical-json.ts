// Change detection hashes a canonical form, so equal content from any run or producer hashes equally.
import crypto from 'node:crypto';

/** Bump only with a migration that rehashes current versions; see docs/staging.md. */
export const HASH_VERSION = 1;

/** JSON with sorted keys, Unicode NFC strings, one number format; undefined members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.normalize('NFC'));
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot hash non-finite number ${value}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k.normalize('NFC'), v] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`cannot hash a ${typeof value}`);
  }
}

/** sha256 (hex) of the canonical form of data without its volatile top-level fields. */
export function contentHash(data: Record<string, unknown>, volatile: readonly string[] = []): string {
  let subject = data;
  if (volatile.length > 0) {
    subject = { ...data };
    for (const field of volatile) delete subject[field];
  }
  return crypto.hash('sha256', canonicalJson(subject), 'hex');
}
