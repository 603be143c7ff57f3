// `trawl ingest`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { formatTable, seconds } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp, DB_VARS, INGEST_VARS } from './env-help.ts';
import { checkSources } from './check-sources.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('Land raw files not yet ingested in staging (new and changed records only).')
    .option('--replay <files...>', 're-ingest these raw files from their first line (changes nothing already landed)')
    .option('--source <spider...>', 'only these sources\' raw files')
    .option('--from <s3url>', 'ingest the raw files other producers dropped in this landing bucket prefix, each once')
    .addHelpText('after', envHelp([...DB_VARS, ...INGEST_VARS, 'S3_ENDPOINT', 'S3_REGION']))
    .action((o: { replay?: string[]; source?: string[]; from?: string }) =>
      act({}, async (ctx) => {
        const started = Date.now();
        const database = await ctx.database();
        const [{ ingestFromBucket, runIngest }, { loadSourceRules }] = await Promise.all([import('../staging/index.ts'), import('../pipeline/index.ts')]);
        const rules = await loadSourceRules();
        if (o.from) {
          const r = await ingestFromBucket({ url: o.from, config: ctx.config, pool: database.pool, rules, log: ctx.log });
          const rows = [
            ...r.files.map((f) => ({ file: f.path, records: f.records, 'new versions': f.newVersions, quarantined: f.quarantined, status: 'ingested' })),
            ...r.quarantinedFiles.map((f) => ({ file: f.path, records: 0, 'new versions': 0, quarantined: 0, status: `quarantined: ${f.reason}` })),
          ];
          process.stdout.write(`${formatTable(rows)}\n\n${r.files.length} file(s) ingested, ${r.quarantinedFiles.length} quarantined, time ${seconds(Date.now() - started)}\n`);
          return r.quarantinedFiles.length > 0 || r.files.some((f) => f.newQuarantined > 0) ? EXIT.partial : EXIT.ok;
        }
        if (o.source) await checkSources(o.source, ctx.config.rawDir);
        const s = await runIngest({ database, rawDir: ctx.config.rawDir, log: ctx.log, delistMaxMissingShare: ctx.config.delistMaxMissingShare, rules, sources: o.source, replay: o.replay, signal: ctx.signal });
        const rows = [
          ...s.files.map((f) => ({ file: f.path, records: f.records, 'new versions': f.newVersions, unchanged: f.unchanged, delisted: f.delisted, quarantined: f.quarantined, status: 'ingested' })),
          ...s.quarantinedFiles.map((f) => ({ file: f.path, records: 0, 'new versions': 0, unchanged: 0, delisted: 0, quarantined: 0, status: `file quarantined: ${f.reason.slice(0, 120)}` })),
        ];
        const passed = s.skippedQuarantinedFiles.length ? `; ${s.skippedQuarantinedFiles.length} quarantined file(s) passed over (trawl quarantine retry)` : '';
        process.stdout.write(`${formatTable(rows)}\n\n${s.files.length} file(s), ${s.newVersions} new version(s), ${s.quarantined} quarantined, ${s.quarantinedFiles.length} file(s) quarantined${passed}, time ${seconds(Date.now() - started)}\n`);
        return s.newQuarantined > 0 || s.quarantinedFiles.length > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}
