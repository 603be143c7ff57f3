// `trawl rehash`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerRehash(program: Command): void {
  program
    .command('rehash')
    .description('Recompute every staging hash with this version of the canonical form (after an upgrade that changed it).')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const r = await (await import('../staging/index.ts')).rehashStaging((await ctx.database()).pool);
        process.stdout.write(`rehashed ${r.versions} version(s): hash version ${r.from} -> ${r.to}\n`);
      }),
    );
}
