// `trawl spiders`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { formatTable } from '../lib/table.ts';
import { DEFAULT_POLITENESS } from '../spiders/index.ts';
import { act } from './act.ts';

export function registerSpiders(program: Command): void {
  program
    .command('spiders')
    .description('List the spiders with their settings.')
    .action(() =>
      act({}, async () => {
        const { resumeWindowHours } = await import('../crawl/index.ts');
        const rows = [...(await (await import('../spiders/index.ts')).loadSpiders()).values()].map((s) => ({
          spider: s.name,
          kind: s.kind,
          entity: s.entity,
          'base url': s.baseUrl,
          'req/min': s.politeness?.maxRequestsPerMinute ?? DEFAULT_POLITENESS.maxRequestsPerMinute,
          'full crawl h': s.expectedCrawlHours ?? '-',
          'resume window h': resumeWindowHours(s),
          description: s.description,
        }));
        process.stdout.write(`${formatTable(rows)}\n`);
      }),
    );
}
