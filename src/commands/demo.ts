// `trawl demo`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { act } from './act.ts';
import { envHelp, DB_VARS, CRAWL_VARS, EXPORT_VARS, INGEST_VARS } from './env-help.ts';
import { positiveInt } from './option-parsers.ts';
import { printPipeline } from './print-pipeline.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the whole pipeline on the bundled demo store for day 1 and then day 2, offline.')
    .option('--days <list>', 'comma-separated demo days', (v) => v.split(',').map((d) => positiveInt(d.trim())), [1, 2])
    .addHelpText('after', envHelp([...DB_VARS, ...CRAWL_VARS, ...INGEST_VARS, ...EXPORT_VARS]))
    .action((o: { days: number[] }) =>
      act({}, async (ctx) => {
        const started = Date.now();
        const database = await ctx.database();
        const { runDemo } = await import('../pipeline/index.ts');
        const results = await runDemo({ days: o.days, config: ctx.config, database, log: ctx.log, signal: ctx.signal });
        const code = printPipeline(results.map((r) => ({ label: `day ${r.day}`, result: r.result })), Date.now() - started);
        const target = ctx.config.exportTarget;
        process.stdout.write(
          [
            '',
            'Next:',
            `  exported JSON   ${target}/v1/deals.json  (browse: npx trawl serve)`,
            `  price history   npx trawl db, then psql <url> -c 'select * from mart.price_history'`,
            `  runs            npx trawl status`,
            '',
          ].join('\n'),
        );
        return code;
      }),
    );
}
