// `trawl reparse`: its wiring, summary and exit code.
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../lib/errors.ts';
import { formatTable, seconds } from '../lib/table.ts';
import { act } from './act.ts';
import { envHelp } from './env-help.ts';

export function registerReparse(program: Command): void {
  program
    .command('reparse')
    .description('Run the current parsers over a crawl run\'s stored response bodies into a new raw file, without fetching.')
    .argument('<run-id>', 'the run id (the raw file\'s name without .jsonl)')
    .addHelpText('after', envHelp(['TRAWL_DATA_DIR', 'BODY_RETENTION_DAYS']))
    .action((runId: string) =>
      act({}, async (ctx) => {
        const started = Date.now();
        const r = await (await import('../crawl/index.ts')).reparse({ runId, config: ctx.config, log: ctx.log });
        const row = { spider: r.spider, 'from run': r.fromRun, pages: r.pages, records: r.records, invalid: r.invalid, 'failed pages': r.failedPages, 'bodies missing': r.bodiesMissing, complete: r.complete ? 'yes' : 'NO', 'raw file': path.relative(process.cwd(), r.rawFile) };
        const missing = r.bodiesMissing ? `the run kept no body for ${r.bodiesMissing} of its pages (they were cut, e.g. by a full disk): this reparse is incomplete and delists nothing\n` : '';
        process.stdout.write(`${formatTable([row])}\n\n${missing}time ${seconds(Date.now() - started)}; \`trawl ingest\` lands it\n`);
        return r.invalid > 0 || r.failedPages > 0 || r.bodiesMissing > 0 ? EXIT.partial : EXIT.ok;
      }),
    );
}
