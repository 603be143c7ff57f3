// Change detection hashes a canonical form, so equal content from any run or producer hashes equally.
import crypto from 'node:crypto';

/** Bump only together with `trawl rehash` (docs/operations.md, Upgrading): ingest refuses another version. */
export const HASH_VERSION = 1;

/** JSON with sorted keys, Unicode NFC strings, one number format; undefined members dropped, and
 * the top-level members named in `omit`. */
export function canonicalJson(value: unknown, omit?: ReadonlySet<string>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(nfc(value));
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot hash non-finite number ${value}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i] ?? null);
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj);
      // Keys compare in their NFC form; the usual all-ASCII keys need no mapping.
      const ascii = keys.every((k) => ASCII.test(k));
      const byNfc = ascii ? undefined : new Map(keys.map((k) => [nfc(k), k]));
      const sorted = ascii ? keys.sort() : [...byNfc!.keys()].sort();
      let out = '{';
      let first = true;
      for (const k of sorted) {
        const v = obj[ascii ? k : byNfc!.get(k)!];
        if (v === undefined || omit?.has(k)) continue;
        out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot hash a ${typeof value}`);
  }
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL
const ASCII = /^[\x00-\x7f]*$/;

/** NFC, skipping the work for plain ASCII (which is always NFC). */
function nfc(s: string): string {
  return ASCII.test(s) ? s : s.normalize('NFC');
}

/** sha256 (hex) of the canonical form of data without its volatile top-level fields. */
export function contentHash(data: Record<string, unknown>, volatile: readonly string[] = []): string {
  return crypto.hash('sha256', canonicalJson(data, volatile.length > 0 ? new Set(volatile) : undefined), 'hex');
}
