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
  // Runs for every line: no allocation on the way to "within every limit".
  const L = RECORD_LIMITS;
  let n: number | undefined;
  if ((n = over(r.source, L.nameBytes)) !== undefined) return `source of ${n} bytes is over the limit of ${L.nameBytes}`;
  if ((n = over(r.entity, L.nameBytes)) !== undefined) return `entity of ${n} bytes is over the limit of ${L.nameBytes}`;
  if (r.key !== null && (n = over(r.key, L.keyBytes)) !== undefined) return `key of ${n} bytes is over the limit of ${L.keyBytes}`;
  if ((n = over(r.partition, L.partitionBytes)) !== undefined) return `partition of ${n} bytes is over the limit of ${L.partitionBytes}`;
  const indexed = INDEXED_FIELDS[r.entity];
  if (indexed && r.data) {
    for (const field of indexed) {
      const v = r.data[field];
      if (typeof v === 'string' && (n = over(v, L.indexedTextBytes)) !== undefined) return `data.${field} of ${n} bytes is over the limit of ${L.indexedTextBytes}`;
    }
  }
  return jsonValueReason(r.data, 'data') ?? jsonValueReason(r.source_fields, 'source_fields');
}

/**
 * Walks a parsed JSON value without recursion: too deep, or holding a number JSON.parse could not
 * read exactly (1e400 became Infinity, 12345678901234567890 lost its last digits), is a reason. Flat
 * records, the usual ones, take one loop and no allocation.
 */
function jsonValueReason(root: unknown, name: string): string | undefined {
  if (root === null || typeof root !== 'object') return undefined;
  // Nested objects still to walk: value, its depth and path, three entries each.
  let pending: unknown[] | undefined;
  let value = root as Record<string, unknown>;
  let depth = 1;
  let where = name;
  for (;;) {
    if (depth > RECORD_LIMITS.depth) return `${name} nested deeper than the limit of ${RECORD_LIMITS.depth} levels`;
    for (const k in value) {
      const v = value[k];
      if (typeof v === 'number') {
        if (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v))) return `${where}.${k} is a number beyond what is read exactly (finite, integers within ±2^53)`;
      } else if (v !== null && typeof v === 'object') {
        (pending ??= []).push(v, depth + 1, `${where}.${k}`);
      }
    }
    if (!pending?.length) return undefined;
    where = pending.pop() as string;
    depth = pending.pop() as number;
    value = pending.pop() as Record<string, unknown>;
  }
}

/** Keys are compared as their canonical (NFC) form, as content hashes are: one item, one key. */
export function canonicalKey(key: string): string {
  // ASCII is its own NFC: most keys skip the normalisation.
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return key.normalize('NFC');
  return key;
}
