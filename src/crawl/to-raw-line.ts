// An emitted record becomes a raw line: validated against the spider's schema, keyed, partitioned.
// An invalid record is kept, flagged with its reason, so nothing a crawl saw is lost.
import type { RawRecord } from '../raw/index.ts';
import { type EmitInput, type SpiderDefinition, validateRecord } from '../spiders/index.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates an emitted record into a raw line; an invalid one is kept, flagged with its reason. */
export function toRawLine(spider: SpiderDefinition, input: EmitInput, url: string, at: Date): RawRecord {
  // A record that names no url of its own is about the page it came from, after redirects.
  const data = isObject(input.data) && input.data.url === undefined ? { ...input.data, url } : input.data;
  input = { ...input, data };
  const line: RawRecord = {
    source: spider.name,
    entity: spider.entity,
    key: null,
    partition: 'all',
    observed_at: at.toISOString(),
    url,
    data: (input.data ?? null) as Record<string, unknown> | null,
    source_fields: input.sourceFields ?? null,
    ...(spider.volatile?.length ? { volatile: spider.volatile } : {}),
  };
  const verdict = input.error === undefined ? validateRecord(spider, input.data) : undefined;
  if (verdict?.ok) {
    line.data = verdict.data;
    line.key = verdict.key;
    line.partition = verdict.partition ?? 'all';
    return line;
  }
  line.invalid = input.error ?? (verdict as { reason: string }).reason;
  // The key of an invalid record, where it can be told, keeps it from being taken as delisted.
  try {
    line.key = spider.key(input.data as never) || null;
  } catch {
    line.key = null;
  }
  if (line.key?.includes('undefined')) line.key = null;
  return line;
}
