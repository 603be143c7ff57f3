// `trawl migrate`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { redactSecrets } from '../lib/redact-secrets.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (every command that needs the database does this first).')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const db = await ctx.database();
        process.stdout.write(`database ${redactSecrets(db.url)} is up to date\n`);
      }),
    );
}
