// A spider's scope: its defaults, overridden by its entry in the sources file, validated by the
// spider's own schema. A bad entry stops the command with one line naming the spider and field.
import { EXIT, UserError } from '../../lib/errors.ts';
import type { SpiderDefinition } from '../define-spider.ts';

export function resolveScope(spider: SpiderDefinition, config: { sources: Record<string, unknown>; sourcesFile: string }): Record<string, unknown> {
  const entry = config.sources[spider.name] ?? {};
  if (!spider.scope) {
    if (Object.keys(entry).length > 0) throw new UserError(`config: SOURCES_FILE ${config.sourcesFile}: spider ${spider.name} takes no scope`, { exitCode: EXIT.usage });
    return {};
  }
  const parsed = spider.scope.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`config: SOURCES_FILE ${config.sourcesFile}: ${spider.name}.${issue.path.join('.') || '(entry)'}: ${issue.message}`, { exitCode: EXIT.usage });
  }
  return parsed.data;
}
