// `trawl etl`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { seconds } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerEtl(program: Command): void {
  program
    .command('etl')
    .description('Build the 3NF core and marts from staging (sql/etl/*.sql, in one transaction).')
    .option('--full', 'rebuild core from all of staging instead of from the watermark')
    .addHelpText('after', envHelp(DB_VARS))
    .action((o: { full?: boolean }) =>
      act({}, async (ctx) => {
        const { runEtl } = await import('../etl/index.ts');
        const r = await runEtl({ database: await ctx.database(), log: ctx.log, full: o.full, signal: ctx.signal });
        process.stdout.write(`etl ${r.full ? 'full' : 'incremental'}: ${r.keys} key(s), ${r.priceRows} price row(s), versions ${r.fromWatermark}..${r.toWatermark}, ${r.steps.length} step(s), time ${seconds(r.durationMs)}\n`);
      }),
    );
}
