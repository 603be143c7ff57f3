// Every spider as staging's rules, for the commands that ingest or retry quarantined records.
import type { SourceRulebook } from '../staging/index.ts';

export async function loadSourceRules(): Promise<SourceRulebook> {
  const [{ sourceRulesOf }, { loadSpiders }] = await Promise.all([import('../pipeline/index.ts'), import('../spiders/index.ts')]);
  return sourceRulesOf(await loadSpiders());
}
