// A record judged by its spider's schema: its parsed data, key and partition, or the reason it fails.
// The crawl applies it to every record it emits; ingest only to lines it cannot trust (schema-hash.ts, beside it).
import type { SpiderDefinition } from '../define-spider.ts';

/** `partition` is undefined for a spider that does not partition its records. */
export type RecordVerdict = { ok: true; data: Record<string, unknown>; key: string; partition: string | undefined } | { ok: false; reason: string };

export function validateRecord(spider: Pick<SpiderDefinition, 'schema' | 'key' | 'partition'>, data: unknown): RecordVerdict {
  const parsed = spider.schema.safeParse(data);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ') };
  return { ok: true, data: parsed.data as Record<string, unknown>, key: spider.key(parsed.data), partition: spider.partition?.(parsed.data) };
}
