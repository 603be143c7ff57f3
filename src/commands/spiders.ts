// `trawl spiders`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { formatTable } from '../lib/table.ts';
import { act } from './act.ts';

export function registerSpiders(program: Command): void {
  program
    .command('spiders')
    .description('List the spiders with their settings, and the partitions of their scope (SOURCES_FILE) that `trawl run <spider> --partition` crawls alone.')
    .action(() =>
      act({}, async (ctx) => {
        const { resumeWindowHours } = await import('../crawl/index.ts');
        const { DEFAULT_POLITENESS, loadSpiders, resolveScope } = await import('../spiders/index.ts');
        const rows = [...(await loadSpiders()).values()].map((s) => ({
          spider: s.name,
          kind: s.kind,
          entity: s.entity,
          'base url': s.baseUrl,
          'req/min': s.politeness?.maxRequestsPerMinute ?? DEFAULT_POLITENESS.maxRequestsPerMinute,
          'full crawl h': s.expectedCrawlHours ?? '-',
          'resume window h': resumeWindowHours(s),
          partitions: s.partitions ? Object.keys(s.partitions(resolveScope(s, ctx.config))).join(' ') : '-',
          description: s.description,
        }));
        process.stdout.write(`${formatTable(rows)}\n`);
      }),
    );
}
