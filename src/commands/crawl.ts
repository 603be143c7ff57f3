// `trawl crawl`: its wiring, summary and exit code.
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { formatTable, seconds } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, CRAWL_VARS } from './env-help.ts';
import { positiveInt } from './option-parsers.ts';
import { readNothing } from './print-pipeline.ts';

export function registerCrawl(program: Command): void {
  program
    .command('crawl')
    .description('Crawl spiders into raw files under TRAWL_DATA_DIR/raw. Needs no database.')
    .argument('<spider...>', 'spider names (see `trawl spiders`)')
    .option('--day <n>', 'demo day for spiders that serve their own site; fixes the clock to that day', positiveInt)
    .option('--max-pages <n>', 'page budget for this run (default CRAWL_MAX_PAGES)', positiveInt)
    .option('--base-url <url>', 'crawl this site instead of the spider\'s own (testing a mirror)')
    .option('--fresh', 'start a new run even if a killed one could be resumed (that one is closed as incomplete)')
    .addHelpText('after', envHelp(CRAWL_VARS))
    .action((names: string[], o: { day?: number; maxPages?: number; baseUrl?: string; fresh?: boolean }) =>
      act({ day: o.day }, async (ctx) => {
        const started = Date.now();
        const rows = [];
        const crawls: { pages: number; failedRequests: number }[] = [];
        const incomplete: string[] = [];
        const { runCrawl } = await import('../crawl/index.ts');
        for (const spider of await (await import('../spiders/index.ts')).resolveSpiders(names)) {
          const r = await runCrawl({ spider, config: ctx.config, log: ctx.log.child({ spider: spider.name }), clock: ctx.clock, day: o.day, maxPages: o.maxPages, baseUrl: o.baseUrl, fresh: o.fresh, signal: ctx.signal });
          crawls.push(r);
          rows.push({
            spider: r.spider,
            resumed: r.resumed ? 'yes' : 'no',
            pages: r.pages,
            records: r.records,
            invalid: r.invalid,
            failed: r.failedRequests,
            'yield guard': r.yieldGuardFailures,
            'robots skipped': r.robotsSkipped,
            'off-site skipped': r.offSiteSkipped,
            complete: r.complete ? 'yes' : 'NO',
            'raw file': path.relative(process.cwd(), r.rawFile),
          });
          if (!r.complete) incomplete.push(`${r.spider}: incomplete, nothing will be delisted: ${r.incompleteReasons.join('; ')}`);
        }
        process.stdout.write(`${formatTable(rows)}\n\n${incomplete.map((l) => `${l}\n`).join('')}time ${seconds(Date.now() - started)}\n`);
        if (crawls.some(readNothing)) return EXIT.failed;
        return rows.some((r) => r.invalid > 0 || r.complete !== 'yes') ? EXIT.partial : EXIT.ok;
      }),
    );
}
