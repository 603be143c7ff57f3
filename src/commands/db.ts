// `trawl db`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { redactSecrets } from '../lib/redact-secrets.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerDb(program: Command): void {
  program
    .command('db')
    .description('Start the database (embedded when DATABASE_URL is unset), migrate, print its URL, wait until Ctrl-C.')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const db = await ctx.database();
        process.stdout.write(`database ready: ${redactSecrets(db.url)}  (e.g. psql ${redactSecrets(db.url)}; Ctrl-C stops)\n`);
        // Nothing else keeps Node running once the pool's idle connections close (it would end with
        // code 13, the database left up): a timer does, until Ctrl-C or SIGTERM.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        clearInterval(keepAlive);
        return EXIT.ok;
      }),
    );
}
