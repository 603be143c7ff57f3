// `trawl worker`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS, CRAWL_VARS, EXPORT_VARS, INGEST_VARS } from './env-help.ts';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run the schedules through a Postgres job queue (pg-boss); start one per VM. Ctrl-C or SIGTERM stops it gracefully.')
    .addHelpText('after', envHelp([...DB_VARS, ...CRAWL_VARS, ...INGEST_VARS, ...EXPORT_VARS, 'SCHEDULES_FILE', 'ALERT_WEBHOOK_URL']))
    .action(() =>
      act({}, async (ctx) => {
        const schedules = (await import('../schedule/index.ts')).loadSchedules(ctx.config.schedulesFile);
        await (await import('../pipeline/index.ts')).runWorker({ config: ctx.config, database: await ctx.database(), log: ctx.log, clock: ctx.clock, schedules, signal: ctx.signal });
        return EXIT.ok;
      }),
    );
}
