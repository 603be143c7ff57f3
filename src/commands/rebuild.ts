// `trawl rebuild`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { formatTable, seconds } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS, EXPORT_VARS, INGEST_VARS } from './env-help.ts';

export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description('After losing the database: recreate it, replay every raw file (local, or RAW_ARCHIVE for files the disk lost too), rebuild core and publish.')
    .addHelpText('after', envHelp([...DB_VARS, ...INGEST_VARS, ...EXPORT_VARS, 'RAW_ARCHIVE']))
    .action(() =>
      act({}, async (ctx) => {
        const started = Date.now();
        if (ctx.config.databaseUrl) await (await import('../db/index.ts')).createDatabaseIfMissing(ctx.config.databaseUrl, ctx.log);
        const r = await (await import('../pipeline/index.ts')).rebuild({ config: ctx.config, database: await ctx.database(), log: ctx.log, clock: ctx.clock });
        const row = {
          'restored from archive': r.restored.length,
          'raw files': r.ingest.files.length,
          records: r.ingest.records,
          versions: r.ingest.newVersions + r.ingest.delisted,
          quarantined: r.ingest.quarantined,
          'price rows': r.etl.priceRows,
          exported: `${r.export.uploaded}/${r.export.objects}`,
        };
        process.stdout.write(`${formatTable([row])}\n\nrebuilt in ${seconds(Date.now() - started)}; exported = objects uploaded/published\n`);
        return r.ingest.quarantined > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}
