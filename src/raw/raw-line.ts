// The contract between crawl and ingest: one JSON object per line.
import { z } from 'zod';

/** A record line. `invalid` carries the validation error of a record that is kept but quarantined. */
export const rawRecordSchema = z.object({
  source: z.string().min(1),
  entity: z.string().min(1),
  key: z.string().min(1).nullable(),
  partition: z.string().min(1).default('all'),
  observed_at: z.iso.datetime({ offset: true }),
  url: z.string().nullable().default(null),
  data: z.record(z.string(), z.unknown()).nullable(),
  source_fields: z.record(z.string(), z.unknown()).nullable().default(null),
  volatile: z.array(z.string()).optional(),
  invalid: z.string().optional(),
});
export type RawRecord = z.input<typeof rawRecordSchema>;

/** The last line of a finished run: what ingest needs to decide about delisting, also on replay. */
export const runEndSchema = z.object({
  control: z.literal('end'),
  run_id: z.string(),
  source: z.string(),
  started_at: z.iso.datetime({ offset: true }),
  finished_at: z.iso.datetime({ offset: true }),
  /** Every request of the frontier succeeded and no budget cut the crawl. */
  complete: z.boolean(),
  /** The partitions this run covered, with their record counts. */
  partitions: z.record(z.string(), z.number().int().nonnegative()),
  pages: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  invalid: z.number().int().nonnegative(),
  failed_requests: z.number().int().nonnegative(),
  budget_cut: z.boolean(),
});
export type RunEnd = z.infer<typeof runEndSchema>;

export interface RunStart {
  control: 'start';
  run_id: string;
  source: string;
  started_at: string;
  /** The hash of the code the crawl validated with (src/spiders/lib/schema-hash.ts); absent from other producers' files. */
  schema_hash?: string;
}

/** Raw files live at <raw dir>/<source>/<YYYY-MM-DD>/<run id>.jsonl; a run in progress ends in .part. */
export function rawFileRelPath(source: string, startedAt: Date, runId: string): string {
  return `${source}/${startedAt.toISOString().slice(0, 10)}/${runId}.jsonl`;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

// Records of one page share their observed_at: the last valid one is not checked again.
let lastTime = '';

function isTime(s: string): boolean {
  if (s === lastTime) return true;
  if (!ISO_TIME.test(s) || Number.isNaN(Date.parse(s))) return false;
  lastTime = s;
  return true;
}

/**
 * Validates a parsed line as a raw record. The common well-formed case is checked by hand (ingest
 * reads millions of lines); anything unusual goes through the zod schema, which has the last word
 * and the error message.
 */
export function readRawRecord(obj: unknown): { ok: true; record: z.output<typeof rawRecordSchema> } | { ok: false; reason: string } {
  if (
    isObject(obj) &&
    isText(obj.source) &&
    isText(obj.entity) &&
    (obj.key === null || isText(obj.key)) &&
    (obj.partition === undefined || isText(obj.partition)) &&
    typeof obj.observed_at === 'string' &&
    isTime(obj.observed_at) &&
    (obj.url === undefined || obj.url === null || typeof obj.url === 'string') &&
    (obj.data === null || isObject(obj.data)) &&
    (obj.source_fields === undefined || obj.source_fields === null || isObject(obj.source_fields)) &&
    (obj.volatile === undefined || (Array.isArray(obj.volatile) && obj.volatile.every((v) => typeof v === 'string'))) &&
    (obj.invalid === undefined || typeof obj.invalid === 'string')
  ) {
    return {
      ok: true,
      record: {
        source: obj.source,
        entity: obj.entity,
        key: obj.key as string | null,
        partition: (obj.partition as string | undefined) ?? 'all',
        observed_at: obj.observed_at,
        url: (obj.url as string | null | undefined) ?? null,
        data: obj.data as Record<string, unknown> | null,
        source_fields: (obj.source_fields as Record<string, unknown> | null | undefined) ?? null,
        volatile: obj.volatile as string[] | undefined,
        invalid: obj.invalid as string | undefined,
      },
    };
  }
  const parsed = rawRecordSchema.safeParse(obj);
  if (parsed.success) return { ok: true, record: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ') };
}
