// `trawl serve`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { EXIT, UserError } from '../lib/errors.ts';
import { act } from './act.ts';
import { envHelp } from './env-help.ts';
import { tcpPort } from './option-parsers.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the export folder (EXPORT_TARGET=file://...) over HTTP on 127.0.0.1 until Ctrl-C.')
    .option('--port <n>', 'port', tcpPort, 8080)
    .addHelpText('after', envHelp(['EXPORT_TARGET', 'EXPORT_CACHE_MAX_AGE']))
    .action((o: { port: number }) =>
      act({}, async (ctx) => {
        if (!ctx.config.exportTarget.startsWith('file://')) throw new UserError('serve works on a file:// EXPORT_TARGET', { exitCode: EXIT.usage });
        const { serveFolder } = await import('../export/index.ts');
        const server = await serveFolder(ctx.config.exportTarget.slice('file://'.length), { port: o.port, cacheMaxAge: ctx.config.exportCacheMaxAge });
        process.stdout.write(`serving ${ctx.config.exportTarget} at ${server.url}/ (Ctrl-C stops)\n`);
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        await server.close();
        return EXIT.ok;
      }),
    );
}
