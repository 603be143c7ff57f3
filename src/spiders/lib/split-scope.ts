// A spider's partitions from its scope: the entries of one list of the scope (countries, locales)
// grouped by the partition each prices, every group a scope of its own.
import { EXIT, UserError } from '../../lib/errors.ts';

/** Splits `scope` by the partition of each entry of `scope[field]`; entries sharing a partition stay together. */
export function splitScope<S extends Record<string, unknown>, T>(scope: S, field: keyof S, partitionOf: (entry: T) => string): Record<string, S> {
  const parts: Record<string, S> = {};
  for (const entry of scope[field] as T[]) {
    const p = partitionOf(entry);
    parts[p] = { ...scope, [field]: [...((parts[p]?.[field] as T[] | undefined) ?? []), entry] };
  }
  return parts;
}

/** The scope of one partition of a spider's scope; a usage error names the partitions there are. */
export function partitionScope<S extends Record<string, unknown>>(spider: { name: string; partitions?(scope: S): Record<string, S> }, scope: S, partition: string): S {
  if (!spider.partitions) throw new UserError(`${spider.name} does not split its crawls into partitions: run it without --partition`, { exitCode: EXIT.usage });
  const parts = spider.partitions(scope);
  const narrowed = Object.hasOwn(parts, partition) ? parts[partition] : undefined;
  if (!narrowed) throw new UserError(`${spider.name} has no partition ${JSON.stringify(partition)} in its scope; its partitions: ${Object.keys(parts).join(', ')}`, { exitCode: EXIT.usage });
  return narrowed;
}
