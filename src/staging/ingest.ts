// Lands raw files in staging: stream lines -> COPY into a temp table -> set-based change detection.
// One transaction per file, under the staging lock, so a file is ingested wholly or not at all.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { LOCK } from '../db/locks.ts';
import { sqlQuery } from '../db/sql-file.ts';
import { contentHash, HASH_VERSION } from '../lib/canonical-json.ts';
import { EXIT, UserError, messageOf } from '../lib/errors.ts';
import { failpoint } from '../lib/failpoint.ts';
import type { Logger } from '../lib/logger.ts';
import { readRawRecord, runEndSchema, type RunEnd } from '../raw/raw-line.ts';
import { readLines } from '../raw/read-lines.ts';
import type { SpiderDefinition } from '../spiders/define-spider.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);
const COPY_INCOMING = 'COPY incoming (raw_line, source, entity, key, partition, observed_at, hash, data, source_fields, volatile, run_id, reason, line) FROM STDIN';

/** The hash of a delisted version: a constant no content can produce. */
export const DELISTED_HASH = crypto.hash('sha256', 'trawl:delisted', 'buffer');

export interface IngestFileResult {
  path: string;
  lines: number;
  records: number;
  newVersions: number;
  unchanged: number;
  delisted: number;
  quarantined: number;
  collapsed: string[];
  skipped: boolean;
}

export interface IngestFileOptions {
  pool: pg.Pool;
  rawDir: string;
  file: string;
  /** The file's name in the ledger; default its path relative to rawDir. */
  ledgerPath?: string;
  /** Re-read from the start, whatever the ledger says. */
  replay?: boolean;
  spiders: Map<string, SpiderDefinition>;
  delistMaxMissingShare: number;
  log: Logger;
}

/** Refuses to compare hashes made by another canonical form than this code's. */
export async function checkHashVersion(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ hash_version: number }>('SELECT hash_version FROM staging.hash_state');
  const stored = rows[0]?.hash_version;
  if (stored !== HASH_VERSION) {
    throw new UserError(`staging holds hash version ${stored}, this trawl computes version ${HASH_VERSION}: run \`trawl rehash\` first`, { exitCode: EXIT.failed });
  }
}

export async function ingestFile(opts: IngestFileOptions): Promise<IngestFileResult> {
  let rel = opts.ledgerPath;
  if (!rel) {
    rel = path.relative(opts.rawDir, path.resolve(opts.file));
    if (rel.startsWith('..')) throw new UserError(`${opts.file} is outside the raw folder ${opts.rawDir}`);
  }
  const client = await opts.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK.stagingWrite]);
    await checkHashVersion(client);
    const ledger = await client.query<{ id: number; bytes_ingested: number; lines_ingested: number }>(
      `INSERT INTO staging.raw_files (path) VALUES ($1)
       ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
       RETURNING id, bytes_ingested, lines_ingested`,
      [rel],
    );
    const row = ledger.rows[0]!;
    const entry = { id: Number(row.id), bytes: Number(row.bytes_ingested), lines: Number(row.lines_ingested) };
    const size = fs.statSync(opts.file).size;
    const from = opts.replay ? { bytes: 0, lines: 0 } : entry;
    const result: IngestFileResult = {
      path: rel, lines: 0, records: 0, newVersions: 0, unchanged: 0, delisted: 0, quarantined: 0, collapsed: [], skipped: false,
    };
    if (!opts.replay && from.bytes >= size) {
      await client.query('ROLLBACK');
      return { ...result, skipped: true };
    }

    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = Math.round(now - mark);
      mark = now;
    };
    await client.query(Q('create_incoming'));
    let trailer: RunEnd | undefined;
    let runId: string | null = null;
    let end = from;
    let valid = 0;
    // COPY rows go out in chunks of about 256 KB: one socket write per row would dominate.
    const rows = async function* () {
      let chunk = '';
      for await (const line of readLines(opts.file, from)) {
        end = { bytes: line.endOffset, lines: line.lineNo };
        result.lines++;
        failpoint('ingest.line');
        const r = toIncomingRow(line.text, line.lineNo, opts.spiders, runId);
        if (r.control?.control === 'start') runId = r.control.run_id;
        if (r.control?.control === 'end') trailer = r.control;
        if (r.copy) chunk += r.copy;
        if (r.copy && r.reason === undefined) valid++;
        if (chunk.length >= 262_144) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    await pipeline(Readable.from(rows()), client.query(copyFrom(COPY_INCOMING)));
    lap('copy');
    failpoint('ingest.after-copy');

    const quarantined = await client.query(Q('quarantine_invalid'), [entry.id]);
    result.quarantined = quarantined.rowCount ?? 0;
    const applied = await applyIncoming(client, entry.id, valid);
    Object.assign(result, applied);
    lap('apply');
    failpoint('ingest.after-apply');
    if (trailer) {
      const delisting = await applyRunEnd(client, entry.id, trailer, end.lines, opts.delistMaxMissingShare);
      result.delisted = delisting.delisted;
      result.collapsed = delisting.collapsed;
    }
    await client.query(
      `UPDATE staging.raw_files
       SET bytes_ingested = greatest(bytes_ingested, $2), lines_ingested = greatest(lines_ingested, $3),
           source = coalesce(source, $4), run_id = coalesce(run_id, $5),
           finished = finished OR $6, complete = complete OR $7, last_ingested_at = now()
       WHERE id = $1`,
      [entry.id, end.bytes, end.lines, trailer?.source ?? null, trailer?.run_id ?? runId, trailer !== undefined, trailer?.complete ?? false],
    );
    lap('delist');
    failpoint('ingest.before-commit');
    await client.query('COMMIT');
    lap('commit');
    opts.log.debug({ file: rel, ms: timings }, 'ingest timings');
    for (const partition of result.collapsed) {
      opts.log.warn({ file: rel, partition }, 'crawl record count collapsed against the last complete crawl: nothing delisted');
    }
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof UserError) throw err;
    const code = (err as { code?: string }).code;
    // The server went away mid-file (restart, failover): the transaction is gone, the ledger unchanged.
    const lost = code === 'EPIPE' || code === 'ECONNRESET' || code === '57P01' || /Connection terminated/.test(messageOf(err));
    throw new Error(`ingest ${rel}: ${lost ? `lost the database connection (${messageOf(err)}); nothing of this file landed, run ingest again` : messageOf(err)}`, { cause: err });
  } finally {
    client.release();
  }
}

/** Change detection over the `records` valid rows of `incoming`, whose lines belong to one raw file. */
export async function applyIncoming(client: pg.PoolClient, rawFileId: number, records: number): Promise<{ records: number; newVersions: number; unchanged: number }> {
  await client.query(Q('segment'));
  await client.query(Q('summarise_keys'));
  await client.query(Q('close_changed'));
  const inserted = await client.query(Q('insert_versions'), [rawFileId, HASH_VERSION]);
  await client.query(Q('update_key_state'));
  await client.query(Q('insert_key_state'), [HASH_VERSION]);
  await client.query('DROP TABLE segments, key_changes');
  const newVersions = inserted.rowCount ?? 0;
  return { records, newVersions, unchanged: records - newVersions };
}

/** Delists what a complete crawl no longer saw, per partition, unless its record count collapsed. */
async function applyRunEnd(client: pg.PoolClient, rawFileId: number, end: RunEnd, endLine: number, maxMissingShare: number) {
  const keyless = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM staging.quarantine WHERE raw_file_id = $1 AND key IS NULL',
    [rawFileId],
  );
  // A record whose key could not be told may be any key: no partition of this run can delist safely.
  const complete = end.complete && keyless.rows[0]!.n === 0;
  const collapsed: string[] = [];
  let delisted = 0;
  for (const [partition, records] of Object.entries(end.partitions)) {
    const prev = await client.query<{ records: number }>(Q('previous_complete_count'), [end.source, partition, end.finished_at, rawFileId]);
    const prevRecords = prev.rows[0]?.records;
    const isCollapsed = complete && prevRecords !== undefined && records < prevRecords * (1 - maxMissingShare);
    await client.query(Q('record_partition'), [rawFileId, end.source, partition, records, complete, isCollapsed, end.started_at, end.finished_at]);
    if (isCollapsed) collapsed.push(partition);
    if (!complete || isCollapsed) continue;
    await client.query(Q('find_delisted'), [end.source, partition, end.started_at, rawFileId]);
    await client.query(Q('close_delisted'), [end.finished_at]);
    const ins = await client.query(Q('insert_delisted'), [DELISTED_HASH, HASH_VERSION, end.finished_at, rawFileId, endLine, end.run_id]);
    await client.query(Q('mark_delisted'), [DELISTED_HASH, end.finished_at]);
    delisted += ins.rowCount ?? 0;
    await client.query(Q('drop_gone'));
  }
  return { delisted, collapsed };
}

export interface IncomingRow {
  copy?: string;
  control?: { control: 'start'; run_id: string } | RunEnd;
  /** Set when the line is quarantined. */
  reason?: string;
}

/**
 * Validates one raw line into a COPY row: a record, a quarantined line, or a control line. With
 * `revalidate` (quarantine retry), the line's own invalid flag is ignored and its data is judged
 * by the spider's current schema alone.
 */
export function toIncomingRow(
  text: string,
  lineNo: number,
  spiders: Map<string, SpiderDefinition>,
  runId: string | null,
  opts: { revalidate?: boolean } = {},
): IncomingRow {
  const quarantine = (reason: string, fields: { source?: string; entity?: string; key?: string | null } = {}): IncomingRow => ({
    reason,
    copy: copyRow([lineNo, fields.source, fields.entity, fields.key, null, null, null, null, null, null, runId, reason, text.replace(/\0/g, '\uFFFD')]),
  });
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return quarantine(`invalid JSON: ${messageOf(err)}`);
  }
  if (obj && typeof obj === 'object' && 'control' in obj) {
    const control = (obj as { control: unknown }).control;
    if (control === 'start') return { control: obj as { control: 'start'; run_id: string } };
    // A crawl's page marker (its resume journal): not a record.
    if (control === 'page') return {};
    const end = runEndSchema.safeParse(obj);
    if (end.success) return { control: end.data };
    return quarantine(`invalid run trailer: ${end.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const parsed = readRawRecord(obj);
  if (!parsed.ok) {
    const o = (obj ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return quarantine(`not a raw record: ${parsed.reason}`, { source: str(o.source), entity: str(o.entity), key: str(o.key) });
  }
  const r = parsed.record;
  const spider = spiders.get(r.source);
  const where = { source: r.source, entity: r.entity, key: r.key };
  if (opts.revalidate) {
    if (!spider || spider.entity !== r.entity) return quarantine(r.invalid ?? `no spider ${r.source} with entity ${r.entity} to validate against`, where);
    const valid = spider.schema.safeParse(r.data);
    if (!valid.success) return quarantine(zodReason(valid.error), where);
    r.data = valid.data as Record<string, unknown>;
    r.key = spider.key(valid.data);
    r.partition = spider.partition?.(valid.data) ?? r.partition;
    r.invalid = undefined;
    where.key = r.key;
  }
  if (r.invalid !== undefined) return quarantine(r.invalid, where);
  if (r.data === null) return quarantine('record has no data', where);
  if (r.key === null) return quarantine('record has no key', where);
  if (spider && spider.entity === r.entity && !opts.revalidate) {
    const valid = spider.schema.safeParse(r.data);
    if (!valid.success) return quarantine(zodReason(valid.error), where);
  }
  const volatile = r.volatile ?? spider?.volatile ?? [];
  let hash: string;
  try {
    hash = contentHash(r.data, volatile);
  } catch (err) {
    return quarantine(`cannot hash record: ${messageOf(err)}`, where);
  }
  const data = JSON.stringify(r.data);
  const sourceFields = r.source_fields === null ? null : JSON.stringify(r.source_fields);
  // Postgres text and jsonb cannot hold NUL.
  if (data.includes('\\u0000') || sourceFields?.includes('\\u0000')) return quarantine('record contains a NUL character', where);
  return {
    copy: copyRow([lineNo, r.source, r.entity, r.key, r.partition, r.observed_at, `\\x${hash}`, data, sourceFields, textArray(volatile), runId, null, null]),
  };
}

function zodReason(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
}

/** A Postgres text[] literal, or null for none. */
function textArray(values: readonly string[]): string | null {
  if (values.length === 0) return null;
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** One line of COPY text format. */
export function copyRow(values: (string | number | null | undefined)[]): string {
  return `${values.map((v) => (v === null || v === undefined ? '\\N' : copyEscape(String(v)))).join('\t')}\n`;
}

function copyEscape(s: string): string {
  if (!/[\\\t\n\r]/.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export { COPY_INCOMING };
