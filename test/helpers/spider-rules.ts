// The real spiders as staging's rules, as the commands build them.
import { sourceRulesOf } from '../../src/pipeline/source-rules.ts';
import { loadSpiders } from '../../src/spiders/registry.ts';
import type { SourceRulebook } from '../../src/staging/source-rules.ts';

export async function spiderRules(): Promise<SourceRulebook> {
  return sourceRulesOf(await loadSpiders());
}
