// One raw line into one COPY row: a record for `incoming` (or, a first crawl's, its version 1), a
// quarantined line with its reason, or a control line. The door of staging: limits, the source's
// rules (its schema, unless the file is trawl's own, crawled with the current one) and the content
// hash, with no I/O.
import { copyJson, copyRow, copyText, sqlQuery } from '../db/index.ts';
import { contentHash, HASH_VERSION } from '../lib/canonical-json.ts';
import { messageOf } from '../lib/errors.ts';
import { canonicalKey, readRawRecord, recordLimitReason, type RunEnd, runEndSchema, type RunStart } from '../raw/index.ts';
import type { BatchKeys } from './batch-keys.ts';
import type { SourceRulebook } from './source-rules.ts';

/** COPY into `incoming`, and a first crawl's COPY straight into versions: the columns these rows fill. */
export const COPY_INCOMING = sqlQuery('staging/ingest.sql', 'copy_incoming');
export const COPY_FIRST_VERSIONS = sqlQuery('staging/ingest.sql', 'copy_first_versions');

export interface IncomingRow {
  copy?: string;
  /** A start line as the file holds it (other producers' may lack fields), or a valid trailer. */
  control?: Partial<RunStart> & { control: 'start' } | RunEnd;
  /** Set when the line is quarantined. */
  reason?: string;
  /** A valid record's source and entity. */
  source?: string;
  entity?: string;
}

/**
 * Validates one raw line into a COPY row: a record, a quarantined line, or a control line. With
 * `revalidate` (quarantine retry), the line's own invalid flag is ignored and its data is judged
 * by the source's current rules alone. With `trusted` (a trawl crawl's file whose schema hash is the
 * current one), a line the crawl found valid is not validated again. With `withoutData` (the line's
 * bytes in its file), the row leaves data and source_fields out: the lines that become versions bring them later (`payloadRow`).
 * With `firstVersionOf` (the raw file's ledger id), a valid record's row is its version 1, for
 * COPY_FIRST_VERSIONS. One function of some 80 lines on purpose: it runs for every line of every
 * file, and its steps share the parsed record.
 */
export function toIncomingRow(
  text: string,
  lineNo: number,
  rules: SourceRulebook,
  runId: string | null,
  keys: BatchKeys,
  opts: { revalidate?: boolean; trusted?: boolean; withoutData?: { start: number; end: number }; firstVersionOf?: number } = {},
): IncomingRow {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return quarantineRow(text, lineNo, runId, `invalid JSON: ${messageOf(err)}`);
  }
  if (obj && typeof obj === 'object' && 'control' in obj) {
    const control = (obj as { control: unknown }).control;
    if (control === 'start') return { control: obj as Partial<RunStart> & { control: 'start' } };
    // A crawl's page marker (its resume journal): not a record.
    if (control === 'page') return {};
    const end = runEndSchema.safeParse(obj);
    if (end.success) return { control: end.data };
    return quarantineRow(text, lineNo, runId, `invalid run trailer: ${end.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const parsed = readRawRecord(obj);
  if (!parsed.ok) {
    const o = (obj ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return quarantineRow(text, lineNo, runId, `not a raw record: ${parsed.reason}`, { source: str(o.source), entity: str(o.entity), key: str(o.key) });
  }
  const r = parsed.record;
  if (r.key !== null) r.key = canonicalKey(r.key);
  const limit = recordLimitReason(r);
  if (limit) return quarantineRow(text, lineNo, runId, limit, r);
  const source = rules.get(r.source);
  if (opts.revalidate) {
    if (!source || source.entity !== r.entity) return quarantineRow(text, lineNo, runId, r.invalid ?? `no spider ${r.source} with entity ${r.entity} to validate against`, r);
    const verdict = source.validate(r.data);
    if (!verdict.ok) return quarantineRow(text, lineNo, runId, verdict.reason, r);
    r.data = verdict.data;
    r.key = verdict.key;
    r.partition = verdict.partition ?? r.partition;
    r.invalid = undefined;
  }
  if (r.invalid !== undefined) return quarantineRow(text, lineNo, runId, r.invalid, r);
  if (r.data === null) return quarantineRow(text, lineNo, runId, 'record has no data', r);
  if (r.key === null) return quarantineRow(text, lineNo, runId, 'record has no key', r);
  if (source && source.entity === r.entity && !opts.revalidate && !opts.trusted) {
    const verdict = source.validate(r.data);
    if (!verdict.ok) return quarantineRow(text, lineNo, runId, verdict.reason, r);
  }
  const volatile = r.volatile ?? source?.volatile ?? [];
  let hash: string;
  try {
    hash = contentHash(r.data, volatile);
  } catch (err) {
    return quarantineRow(text, lineNo, runId, `cannot hash record: ${messageOf(err)}`, r);
  }
  // A NUL or an unpaired surrogate can only come as a \u escape in the line's JSON text.
  let payload: Payload | undefined;
  if (!opts.withoutData || text.includes('\\u')) {
    payload = payloadOf(r);
    const refused = refusedByJsonb(payload);
    if (refused) return quarantineRow(text, lineNo, runId, refused, r);
  }
  const data = opts.withoutData ? '\\N\t\\N' : payloadColumns(payload!);
  const hashOfKey = keyHash(r.source, r.entity, r.key);
  const seenBefore = keys.note(r.source, r.entity, hashOfKey) ? 't' : 'f';
  keys.noteObserved(r.source, r.partition, r.observed_at);
  // Rows are written out rather than through copyRow: this runs for every line. JSON text holds no
  // raw tab or newline, and observed_at was checked, so only some fields need escaping.
  if (opts.firstVersionOf !== undefined) {
    return {
      source: r.source,
      entity: r.entity,
      copy: `${copyText(r.source)}\t${copyText(r.entity)}\t${copyText(r.key)}\t${copyText(r.partition)}\t1\t\\\\x${hash}\t${HASH_VERSION}\t${data}\t${textArray(volatile)}\t${r.observed_at}\t\\N\t${r.observed_at}\t${opts.firstVersionOf}\t${lineNo}\t${runId === null ? '\\N' : copyText(runId)}\n`,
    };
  }
  return {
    source: r.source,
    entity: r.entity,
    copy: `${lineNo}\t${opts.withoutData ? `${opts.withoutData.start}\t${opts.withoutData.end}` : '\\N\t\\N'}\t${copyText(r.source)}\t${copyText(r.entity)}\t${copyText(r.key)}\t${hashOfKey}\t${seenBefore}\t${copyText(r.partition)}\t${r.observed_at}\t\\\\x${hash}\t${data}\t${textArray(volatile)}\t${runId === null ? '\\N' : copyText(runId)}\t\\N\t\\N\n`,
  };
}

/** A record's data and source fields as JSON text: Postgres parses it only for lines that become versions. */
interface Payload {
  data: string;
  sourceFields: string | null;
}

function payloadOf(r: { data: Record<string, unknown> | null; source_fields: Record<string, unknown> | null }): Payload {
  return { data: JSON.stringify(r.data), sourceFields: r.source_fields === null ? null : JSON.stringify(r.source_fields) };
}

/** The data and source_fields columns of a COPY row. */
function payloadColumns(p: Payload): string {
  return `${copyJson(p.data)}\t${p.sourceFields === null ? '\\N' : copyJson(p.sourceFields)}`;
}

/**
 * Why jsonb would refuse a payload, if it would: it refuses NUL and unpaired surrogates. JSON.stringify
 * writes a paired surrogate as the character itself, so any surrogate escape in its output is unpaired.
 */
function refusedByJsonb(p: Payload): string | undefined {
  for (const json of [p.data, p.sourceFields]) {
    if (json?.includes('\\u')) {
      if (json.includes('\\u0000')) return 'record contains a NUL character';
      if (UNPAIRED_SURROGATE.test(json)) return 'record contains an unpaired UTF-16 surrogate';
    }
  }
  return undefined;
}

/**
 * The `payload` COPY row of a line that `toIncomingRow` accepted without its data. Raw files only
 * grow, so the line reads as it did; anything else is an error, not a guess.
 */
export function payloadRow(text: string, lineNo: number): string {
  let parsed: ReturnType<typeof readRawRecord> | undefined;
  try {
    parsed = readRawRecord(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.ok || parsed.record.data === null) throw new Error(`line ${lineNo} no longer holds the record it held when it was staged`);
  return `${lineNo}\t${payloadColumns(payloadOf(parsed.record))}\n`;
}

interface QuarantineFields {
  source?: string;
  entity?: string;
  key?: string | null;
}

export function quarantineRow(text: string, lineNo: number, runId: string | null, reason: string, fields: QuarantineFields = {}): IncomingRow {
  return {
    reason,
    copy: copyRow([lineNo, null, null, fields.source, fields.entity, fields.key, null, null, null, null, null, null, null, null, runId, reason, text.replace(/\0/g, '\uFFFD')]),
  };
}

/**
 * A 52-bit hash of a record's identity, for finding keys seen more than once in a file by integer
 * rather than by three texts. A collision only sends a key down the general path, which is right
 * for any key.
 */
function keyHash(source: string, entity: string, key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const part of [source, entity, key]) {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    a = Math.imul(a ^ 0xff, 0x01000193);
    b = Math.imul(b ^ 0xff, 0x5bd1e995);
  }
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

const UNPAIRED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i;


/** A Postgres text[] literal in COPY text, or \N for none. The few distinct lists are remembered. */
function textArray(values: readonly string[]): string {
  if (values.length === 0) return '\\N';
  // Consecutive lines nearly always name the same list: comparing is cheaper than joining a key.
  if (values.length === lastArray.values.length && values.every((v, i) => v === lastArray.values[i])) return lastArray.literal;
  const id = values.join('\u0000');
  let literal = arrayLiterals.get(id);
  if (literal === undefined) {
    literal = copyText(`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
    if (arrayLiterals.size >= 1024) arrayLiterals.clear();
    arrayLiterals.set(id, literal);
  }
  lastArray = { values: [...values], literal };
  return literal;
}
const arrayLiterals = new Map<string, string>();
let lastArray: { values: readonly string[]; literal: string } = { values: [], literal: '\\N' };
