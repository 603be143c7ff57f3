// `trawl quarantine`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { formatTable } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerQuarantine(program: Command): void {
  const quarantine = program
    .command('quarantine')
    .description('List quarantined records with their reasons (open ones; --all for resolved too), and the files quarantined whole.')
    .option('--all', 'include records a retry has landed')
    .option('--json', 'print JSON for machines')
    .addHelpText('after', envHelp(DB_VARS))
    .action((o: { all?: boolean; json?: boolean }) =>
      act({}, async (ctx) => {
        const pool = (await ctx.database()).pool;
        const { listQuarantine, listQuarantinedFiles } = await import('../staging/index.ts');
        const rows = await listQuarantine(pool, { all: o.all });
        const files = await listQuarantinedFiles(pool);
        if (o.json) process.stdout.write(`${JSON.stringify({ records: rows, files }, null, 2)}\n`);
        else {
          const fileTable = files.length ? `\n\nfiles quarantined whole:\n${formatTable(files.map((f) => ({ file: f.path, reason: f.reason.slice(0, 120), since: f.quarantined_at.toISOString() })))}` : '';
          process.stdout.write(`${formatTable(rows.map((r) => ({ file: r.file, line: r.raw_line, source: r.source, key: r.key && r.key.length > 80 ? `${r.key.slice(0, 77)}...` : r.key, reason: r.reason.slice(0, 100), resolved: r.resolved_at ? 'yes' : '' })))}${fileTable}\n\n${rows.length} record(s), ${files.length} file(s)\n`);
        }
      }),
    );
  quarantine
    .command('retry')
    .description('Re-validate quarantined records with the current schemas (they land, or stay with a new reason), and let the next ingest try quarantined files again.')
    .addHelpText('after', envHelp(DB_VARS))
    .action(() =>
      act({}, async (ctx) => {
        const pool = (await ctx.database()).pool;
        const [{ clearQuarantinedFiles, locateUnder, retryQuarantine }, { loadSourceRules }] = await Promise.all([import('../staging/index.ts'), import('../pipeline/index.ts')]);
        const r = await retryQuarantine(pool, await loadSourceRules(), locateUnder(ctx.config.rawDir), ctx.log);
        const files = await clearQuarantinedFiles(pool);
        process.stdout.write(`retried ${r.retried}: ${r.landed} landed (${r.newVersions} new versions), ${r.stillQuarantined} still quarantined; ${files} quarantined file(s) will be tried again by the next ingest\n`);
        return r.stillQuarantined > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}
