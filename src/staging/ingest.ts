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
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { rawRecordSchema, runEndSchema, type RunEnd } from '../raw/raw-line.ts';
import type { SpiderDefinition } from '../spiders/define-spider.ts';
import { readLines } from '../raw/read-lines.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);

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
  /** The byte offset the ledger now holds. */
  offset: number;
  skipped: boolean;
}

export interface IngestFileOptions {
  pool: pg.Pool;
  rawDir: string;
  file: string;
  /** Re-read from the start, whatever the ledger says. */
  replay?: boolean;
  spiders: Map<string, SpiderDefinition>;
  delistMaxMissingShare: number;
  log: Logger;
}

export async function ingestFile(opts: IngestFileOptions): Promise<IngestFileResult> {
  const rel = path.relative(opts.rawDir, path.resolve(opts.file));
  if (rel.startsWith('..')) throw new Error(`${opts.file} is outside the raw folder ${opts.rawDir}`);
  const client = await opts.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK.stagingWrite]);
    const ledger = await client.query<{ id: number; bytes_ingested: number; lines_ingested: number; finished: boolean }>(
      `INSERT INTO staging.raw_files (path) VALUES ($1)
       ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
       RETURNING id, bytes_ingested, lines_ingested, finished`,
      [rel],
    );
    const entry = ledger.rows[0]!;
    const size = fs.statSync(opts.file).size;
    const from = opts.replay ? { bytes: 0, lines: 0 } : { bytes: entry.bytes_ingested, lines: entry.lines_ingested };
    const result: IngestFileResult = {
      path: rel, lines: 0, records: 0, newVersions: 0, unchanged: 0, delisted: 0, quarantined: 0, collapsed: [], offset: from.bytes, skipped: false,
    };
    if (!opts.replay && from.bytes >= size) {
      await client.query('ROLLBACK');
      return { ...result, skipped: true };
    }

    await client.query(Q('create_incoming'));
    let trailer: RunEnd | undefined;
    let runId: string | null = null;
    let end = from;
    const rows = async function* () {
      for await (const line of readLines(opts.file, from)) {
        end = { bytes: line.endOffset, lines: line.lineNo };
        result.lines++;
        const row = toIncomingRow(line.text, line.lineNo, opts.spiders, runId);
        if (row.control?.control === 'start') runId = row.control.run_id;
        if (row.control?.control === 'end') trailer = row.control;
        if (row.copy) yield row.copy;
      }
    };
    await pipeline(
      Readable.from(rows()),
      client.query(copyFrom('COPY incoming (raw_line, source, entity, key, partition, observed_at, hash, data, source_fields, run_id, reason, line) FROM STDIN')),
    );

    const quarantined = await client.query(Q('quarantine_invalid'), [entry.id]);
    result.quarantined = quarantined.rowCount ?? 0;
    const counted = await client.query<{ valid: number }>('SELECT count(*) FILTER (WHERE reason IS NULL)::int AS valid FROM incoming');
    result.records = counted.rows[0]!.valid;
    await client.query(Q('segment'));
    await client.query(Q('touch_current'));
    const inserted = await client.query(Q('insert_versions'), [entry.id, HASH_VERSION]);
    result.newVersions = inserted.rowCount ?? 0;
    result.unchanged = result.records - result.newVersions;

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
    await client.query('COMMIT');
    result.offset = Math.max(end.bytes, entry.bytes_ingested);
    for (const partition of result.collapsed) {
      opts.log.warn({ file: rel, partition }, 'crawl record count collapsed against the last complete crawl: nothing delisted');
    }
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`ingest ${rel}: ${messageOf(err)}`, { cause: err });
  } finally {
    client.release();
  }
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
    delisted += ins.rowCount ?? 0;
    await client.query(Q('drop_gone'));
  }
  return { delisted, collapsed };
}

interface IncomingRow {
  copy?: string;
  control?: { control: 'start'; run_id: string } | RunEnd;
}

/** Validates one raw line into a COPY row: a record, a quarantined line, or a control line. */
export function toIncomingRow(text: string, lineNo: number, spiders: Map<string, SpiderDefinition>, runId: string | null): IncomingRow {
  const quarantine = (reason: string, fields: { source?: string; entity?: string; key?: string | null; run_id?: string | null } = {}) => ({
    copy: copyRow([lineNo, fields.source, fields.entity, fields.key, null, null, null, null, null, fields.run_id ?? runId, reason, text.replace(/\0/g, '\uFFFD')]),
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
    const end = runEndSchema.safeParse(obj);
    if (end.success) return { control: end.data };
    return quarantine(`invalid run trailer: ${end.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const parsed = rawRecordSchema.safeParse(obj);
  if (!parsed.success) {
    const o = (obj ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return quarantine(
      `not a raw record: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ')}`,
      { source: str(o.source), entity: str(o.entity), key: str(o.key) },
    );
  }
  const r = parsed.data;
  const where = { source: r.source, entity: r.entity, key: r.key };
  if (r.invalid !== undefined) return quarantine(r.invalid, where);
  if (r.data === null) return quarantine('record has no data', where);
  if (r.key === null) return quarantine('record has no key', where);
  const spider = spiders.get(r.source);
  if (spider && spider.entity === r.entity) {
    const valid = spider.schema.safeParse(r.data);
    if (!valid.success) return quarantine(valid.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; '), where);
  }
  let hash: string;
  try {
    hash = contentHash(r.data, r.volatile ?? spider?.volatile ?? []);
  } catch (err) {
    return quarantine(`cannot hash record: ${messageOf(err)}`, where);
  }
  const data = JSON.stringify(r.data);
  const sourceFields = r.source_fields === null ? null : JSON.stringify(r.source_fields);
  // Postgres text and jsonb cannot hold NUL.
  if (data.includes('\\u0000') || sourceFields?.includes('\\u0000')) return quarantine('record contains a NUL character', where);
  return {
    copy: copyRow([lineNo, r.source, r.entity, r.key, r.partition, r.observed_at, `\\x${hash}`, data, sourceFields, runId, null, null]),
  };
}

/** One line of COPY text format. */
function copyRow(values: (string | number | null | undefined)[]): string {
  return `${values.map((v) => (v === null || v === undefined ? '\\N' : copyEscape(String(v)))).join('\t')}\n`;
}

function copyEscape(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
