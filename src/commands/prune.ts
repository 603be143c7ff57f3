// `trawl prune`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { act } from './act.ts';
import { envHelp, DB_VARS } from './env-help.ts';

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('Apply retention: old raw files (only once ingested and held by RAW_ARCHIVE), old response bodies, old export generations, old ops.runs rows.')
    .option('--dry-run', 'delete nothing; say what would go')
    .option('--unarchived', 'also delete old raw files RAW_ARCHIVE does not hold (without an archive, every old one): trawl rebuild cannot replay them afterwards')
    .addHelpText('after', envHelp([...DB_VARS, 'TRAWL_DATA_DIR', 'EXPORT_TARGET', 'RAW_ARCHIVE', 'RAW_RETENTION_DAYS', 'BODY_RETENTION_DAYS', 'EXPORT_GENERATIONS_KEEP', 'RUNS_RETENTION_DAYS']))
    .action((o: { dryRun?: boolean; unarchived?: boolean }) =>
      act({}, async (ctx) => {
        const target = (await import('../export/index.ts')).openTarget(ctx.config);
        const r = await (await import('../pipeline/index.ts')).prune({ config: ctx.config, pool: (await ctx.database()).pool, target, now: ctx.clock.now(), dryRun: o.dryRun, unarchived: o.unarchived });
        for (const k of r.rawFilesKept) ctx.log.info(k, 'raw file past retention kept');
        const verb = r.dryRun ? 'would prune' : 'pruned';
        process.stdout.write(
          `${verb} ${r.rawFilesDeleted} raw file(s) (${r.rawFilesKept.length} kept: not ingested, or not held by RAW_ARCHIVE), ${r.bodyFilesDeleted} body file(s), ${r.exportObjectsDeleted} export object(s) (${r.generationsKept} generation(s) kept), ${r.runsDeleted} ops.runs row(s)\n` +
            `trawl rebuild can replay ${r.rebuildable.local + r.rebuildable.archiveOnly} raw file(s): ${r.rebuildable.local} on disk, ${r.rebuildable.archiveOnly} in RAW_ARCHIVE only${r.dryRun ? ' (after this prune)' : ''}\n`,
        );
      }),
    );
}
