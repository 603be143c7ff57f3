// `trawl archive`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT, UserError } from '../lib/errors.ts';
import { act } from './act.ts';
import { envHelp } from './env-help.ts';

export function registerArchive(program: Command): void {
  program
    .command('archive')
    .description('Upload to RAW_ARCHIVE every finished raw file it does not hold yet (an upload that failed after its crawl).')
    .addHelpText('after', envHelp(['TRAWL_DATA_DIR', 'RAW_ARCHIVE', 'S3_ENDPOINT', 'S3_REGION']))
    .action(() =>
      act({}, async (ctx) => {
        if (!ctx.config.rawArchive) throw new UserError('RAW_ARCHIVE is not set: there is no archive to fill', { exitCode: EXIT.usage });
        const uploaded = await (await import('../raw/index.ts')).archiveMissing(ctx.config);
        process.stdout.write(`${uploaded.length} raw file(s) uploaded to ${ctx.config.rawArchive}\n`);
      }),
    );
}
