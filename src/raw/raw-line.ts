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
}

/** Raw files live at <raw dir>/<source>/<YYYY-MM-DD>/<run id>.jsonl; a run in progress ends in .part. */
export function rawFileRelPath(source: string, startedAt: Date, runId: string): string {
  return `${source}/${startedAt.toISOString().slice(0, 10)}/${runId}.jsonl`;
}
