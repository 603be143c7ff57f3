// The spiders as staging's rules (src/staging/source-rules.ts): their entity, volatile fields, schema
// hash and validation. Built here, above both, so staging imports no spider.
import type { SourceRulebook, SourceRules } from '../staging/index.ts';
import { loadSpiders, type SpiderDefinition, validateRecord } from '../spiders/index.ts';

/**
 * Staging's rules for each spider: what ingest and `quarantine retry` validate with.
 *
 * @example
 * const rules = sourceRulesOf(await loadSpiders());
 * rules.get('gog')?.validate(record.data); // { ok: true, data, key, partition } or { ok: false, reason }
 */
export function sourceRulesOf(spiders: ReadonlyMap<string, SpiderDefinition>): SourceRulebook {
  const rules = new Map<string, SourceRules>();
  for (const [name, spider] of spiders) {
    rules.set(name, { entity: spider.entity, volatile: spider.volatile, schemaHash: spider.schemaHash, validate: (data) => validateRecord(spider, data) });
  }
  return rules;
}

/** Every spider of the folder as staging's rules: what ingest and `quarantine retry` validate with. */
export async function loadSourceRules(): Promise<SourceRulebook> {
  return sourceRulesOf(await loadSpiders());
}
