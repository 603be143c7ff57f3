// `trawl export`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { seconds } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS, EXPORT_VARS } from './env-help.ts';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Publish sql/exports/*.sql as static JSON under EXPORT_TARGET, v1/manifest.json last; and, when LAKE_TARGET is set, sql/lake/*.sql as Parquet there.')
    .option('--allow-shrink', 'publish even a generation that removes more than EXPORT_MAX_SHRINK_SHARE of the published objects')
    .option('--lake', 'write only the Parquet lake (LAKE_TARGET must be set)')
    .addHelpText('after', envHelp([...DB_VARS, ...EXPORT_VARS]))
    .action((o: { allowShrink?: boolean; lake?: boolean }) =>
      act({}, async (ctx) => {
        const { openTarget, runExport, runLakeExport } = await import('../export/index.ts');
        const lake = o.lake || ctx.config.lakeTarget !== undefined ? openTarget(ctx.config, 'LAKE_TARGET') : undefined;
        if (!o.lake) {
          const target = openTarget(ctx.config);
          const r = await runExport({ database: await ctx.database(), target, clock: ctx.clock, log: ctx.log, cacheMaxAge: ctx.config.exportCacheMaxAge, maxShrinkShare: ctx.config.exportMaxShrinkShare, feedDropMinShare: ctx.config.feedDropMinShare, allowShrink: o.allowShrink, signal: ctx.signal });
          process.stdout.write(`export ${r.generation} to ${target.describe()}: ${r.objects} object(s), ${r.uploaded} uploaded, ${r.unchanged} unchanged, ${r.removed} removed, time ${seconds(r.durationMs)}\n`);
        }
        if (lake) {
          const r = await runLakeExport({ database: await ctx.database(), target: lake, clock: ctx.clock, log: ctx.log, signal: ctx.signal });
          const rows = Object.entries(r.rows).map(([t, n]) => `${t} ${n}`).join(', ');
          process.stdout.write(`lake to ${lake.describe()}: ${r.files} Parquet file(s), ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed; rows: ${rows}; time ${seconds(r.durationMs)}\n`);
        }
      }),
    );
}
