// `trawl status`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { formatTable } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Per spider: the last run and its result, freshness of its published data, and the last 24 hours. Exits 5 when a spider is stale.')
    .option('--json', 'print JSON for machines')
    .addHelpText('after', envHelp([...DB_VARS, 'SCHEDULES_FILE', 'ALERT_WEBHOOK_URL']))
    .action((o: { json?: boolean }) =>
      act({}, async (ctx) => {
        const { loadSchedules } = await import('../schedule/index.ts');
        const schedules = loadSchedules(ctx.config.schedulesFile);
        const spiders = [...(await (await import('../spiders/index.ts')).loadSpiders()).keys()];
        // Run times in ops.runs are wall-clock times, so freshness is too.
        const rows = await (await import('./read-status.ts')).readStatus((await ctx.database()).pool, schedules, new Date(), spiders);
        const stale = rows.filter((r) => r.stale);
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          process.stdout.write(
            `${formatTable(rows.map((r) => ({ spider: r.spider, 'last run': r.last_run_at?.toISOString() ?? 'never', result: r.last_run_status, 'fresh (h)': r.freshness_hours, 'stale after (h)': r.stale_after_hours, 'records 24h': r.records_24h, 'new versions 24h': r.new_versions_24h, 'quarantined 24h': r.quarantined_24h, 'files quarantined': r.quarantined_files, collapsed: r.collapsed ?? '', stale: r.stale ? 'STALE' : '' })))}\n`,
          );
        const { sendAlert } = await import('../pipeline/index.ts');
        for (const r of stale) {
          await sendAlert(ctx.config.alertWebhookUrl, { kind: 'stale', spider: r.spider, message: r.freshness_hours === null ? 'never published' : `last published ${r.freshness_hours} h ago (threshold ${r.stale_after_hours} h)` }, ctx.log);
        }
        return stale.length > 0 ? EXIT.stale : EXIT.ok;
      }),
    );
}
