// The limits every raw line is held to when it is read, before Postgres sees it: each is a
// quarantine reason naming the limit, so one hostile record can never fail its file, nor a later ETL
// or export (docs/operations.md, "Limits at the door", lists them). Pure.

export const RECORD_LIMITS = {
  /** source and entity: they key every staging table. */
  nameBytes: 64,
  /** The natural key: in the change-detection index and key_state's primary key (a B-tree row holds at most 2,704 bytes). */
  keyBytes: 1000,
  /** The partition: in crawl_partitions' and partition_sightings' primary keys. */
  partitionBytes: 200,
  /** Each offer field the ETL indexes (store, store_item_id, title, region, currency): two of them share core.listings' unique index. */
  indexedTextBytes: 1000,
  /** Nesting of data and of source_fields: deeper structures overflow recursive serialisers. */
  depth: 32,
} as const;

/** The data fields of each entity that the ETL puts into an index. */
const INDEXED_FIELDS: Record<string, readonly string[]> = { offer: ['store', 'store_item_id', 'title', 'region', 'currency'] };

/** The byte length of `s` when it is over `limit` bytes, else undefined (short strings are not measured). */
function over(s: string, limit: number): number | undefined {
  if (s.length * 3 <= limit) return undefined;
  const n = Buffer.byteLength(s);
  return n > limit ? n : undefined;
}

export interface LimitedRecord {
  source: string;
  entity: string;
  key: string | null;
  partition: string;
  data: Record<string, unknown> | null;
  source_fields: Record<string, unknown> | null;
}

/** Why a raw record breaks a limit, or undefined; checked in order of cost. */
export function recordLimitReason(r: LimitedRecord): string | undefined {
  const L = RECORD_LIMITS;
  const checks: [string, string | null, number][] = [['source', r.source, L.nameBytes], ['entity', r.entity, L.nameBytes], ['key', r.key, L.keyBytes], ['partition', r.partition, L.partitionBytes]];
  for (const field of INDEXED_FIELDS[r.entity] ?? []) {
    const v = r.data?.[field];
    if (typeof v === 'string') checks.push([`data.${field}`, v, L.indexedTextBytes]);
  }
  for (const [name, value, limit] of checks) {
    const n = value === null ? undefined : over(value, limit);
    if (n !== undefined) return `${name} of ${n} bytes is over the limit of ${limit}`;
  }
  return jsonValueReason(r.data, 'data') ?? jsonValueReason(r.source_fields, 'source_fields');
}

/**
 * Walks a parsed JSON value without recursion: too deep, or holding a number JSON.parse could not
 * read exactly (1e400 became Infinity, 12345678901234567890 lost its last digits), is a reason.
 */
function jsonValueReason(root: unknown, name: string): string | undefined {
  if (root === null || typeof root !== 'object') return undefined;
  const stack: [unknown, number, string][] = [[root, 1, name]];
  while (stack.length > 0) {
    const [value, depth, where] = stack.pop()!;
    if (depth > RECORD_LIMITS.depth) return `${name} nested deeper than the limit of ${RECORD_LIMITS.depth} levels`;
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (typeof v === 'number') {
        if (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v))) return `${where}.${k} is a number beyond what is read exactly (finite, integers within ±2^53)`;
      } else if (v !== null && typeof v === 'object') {
        stack.push([v, depth + 1, `${where}.${k}`]);
      }
    }
  }
  return undefined;
}

/** Keys are compared as their canonical (NFC) form, as content hashes are: one item, one key. */
export function canonicalKey(key: string): string {
  // ASCII is its own NFC: most keys skip the normalisation.
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return key.normalize('NFC');
  return key;
}
