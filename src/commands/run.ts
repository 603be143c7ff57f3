// `trawl run`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT, UserError } from '../lib/errors.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS, CRAWL_VARS, EXPORT_VARS, INGEST_VARS } from './env-help.ts';
import { positiveInt } from './option-parsers.ts';
import { printPipeline } from './print-pipeline.ts';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Crawl, ingest, etl and export for the given spiders (or every scheduled one): what cron calls. A spider already running exits 4.')
    .argument('[spider...]', 'spider names (see `trawl spiders`)')
    .option('--all', 'every spider in the schedules file')
    .option('--day <n>', 'demo day for spiders that serve their own site; fixes the clock to that day', positiveInt)
    .option('--base-url <url>', 'crawl this site instead of the spider\'s own (testing a mirror)')
    .option('--partition <name>', 'crawl one partition of the spider\'s scope only (a country: `trawl spiders` lists them); its raw file covers that partition alone')
    .addHelpText('after', envHelp([...DB_VARS, ...CRAWL_VARS, ...INGEST_VARS, ...EXPORT_VARS, 'SCHEDULES_FILE', 'ALERT_WEBHOOK_URL']))
    .action((names: string[], o: { all?: boolean; day?: number; baseUrl?: string; partition?: string }) =>
      act({ day: o.day }, async (ctx) => {
        const started = Date.now();
        if (o.all) names = (await import('../schedule/index.ts')).loadSchedules(ctx.config.schedulesFile).map((s) => s.spider);
        if (names.length === 0) throw new UserError('name at least one spider, or --all', { exitCode: EXIT.usage });
        const spiders = await (await import('../spiders/index.ts')).resolveSpiders(names);
        const { runPipeline } = await import('../pipeline/index.ts');
        const result = await runPipeline({ spiders, config: ctx.config, database: await ctx.database(), log: ctx.log, clock: ctx.clock, day: o.day, baseUrl: o.baseUrl, signal: ctx.signal, partition: o.partition });
        return printPipeline([{ label: o.partition === undefined ? names.join(',') : `${names.join(',')}/${o.partition}`, result }], Date.now() - started);
      }),
    );
}
