// Change detection hashes a canonical form, so equal content from any run or producer hashes equally.
import crypto from 'node:crypto';

/** Bump only together with `trawl rehash` (docs/operations.md, Upgrading): ingest refuses another version. */
export const HASH_VERSION = 1;

/** JSON with sorted keys, Unicode NFC strings, one number format; undefined members dropped, and
 * the top-level members named in `omit`. */
export function canonicalJson(value: unknown, omit?: readonly string[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      // Printable ASCII without a quote or backslash is its own JSON text (and NFC): no call into
      // JSON.stringify per string, which was a third of the hashing time.
      return PLAIN.test(value) ? `"${value}"` : JSON.stringify(nfc(value));
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot hash non-finite number ${value}`);
      // String() and JSON.stringify() print finite numbers alike.
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i] ?? null);
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      const order = keyOrder(Object.keys(obj));
      let out = '{';
      let first = true;
      for (let i = 0; i < order.names.length; i++) {
        const v = obj[order.names[i]!];
        if (v === undefined || omit?.includes(order.nfcNames[i]!)) continue;
        out += `${first ? '' : ','}${order.quoted[i]}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot hash a ${typeof value}`);
  }
}

/** An object's member names in canonical order: as written, in NFC, and quoted in NFC. */
interface KeyOrder {
  names: string[];
  nfcNames: string[];
  quoted: string[];
}

// Records of one source share a few shapes, so the sorted order of a shape is worked out once.
// Bounded, so that hostile input with endless shapes costs time, not memory.
const keyOrders = new Map<string, KeyOrder>();
const MAX_SHAPES = 4096;

// The shape met last: consecutive records nearly always share it, and comparing names is cheaper
// than joining them into a cache key.
let lastKeys: string[] = [];
let lastOrder: KeyOrder | undefined;

function keyOrder(keys: string[]): KeyOrder {
  if (lastOrder && keys.length === lastKeys.length && keys.every((k, i) => k === lastKeys[i])) return lastOrder;
  const order = cachedKeyOrder(keys);
  lastKeys = keys;
  lastOrder = order;
  return order;
}

function cachedKeyOrder(keys: string[]): KeyOrder {
  // A name holding NUL could make two shapes join alike: such objects are not cached.
  const cacheable = !keys.some((k) => k.includes('\u0000'));
  const shape = keys.join('\u0000');
  let order = cacheable ? keyOrders.get(shape) : undefined;
  if (order) return order;
  // Keys compare in their NFC form; of two names equal in NFC, the later one counts.
  const byNfc = new Map(keys.map((k) => [nfc(k), k]));
  const pairs = [...byNfc].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  order = { names: pairs.map(([, k]) => k), nfcNames: pairs.map(([n]) => n), quoted: pairs.map(([n]) => JSON.stringify(n)) };
  if (!cacheable) return order;
  if (keyOrders.size >= MAX_SHAPES) keyOrders.clear();
  keyOrders.set(shape, order);
  return order;
}

const PLAIN = /^[ !#-[\]-~]*$/;

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL
const ASCII = /^[\x00-\x7f]*$/;

/** NFC, skipping the work for plain ASCII (which is always NFC). */
function nfc(s: string): string {
  return ASCII.test(s) ? s : s.normalize('NFC');
}

/** sha256 (hex) of the canonical form of data without its volatile top-level fields. */
export function contentHash(data: Record<string, unknown>, volatile: readonly string[] = []): string {
  return crypto.hash('sha256', canonicalJson(data, volatile.length > 0 ? volatile : undefined), 'hex');
}
