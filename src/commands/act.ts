// Every command's frame: a context opened and closed, errors as one line, the exit code set.
import { EXIT, UserError, messageOf, type ExitCode } from '../lib/errors.ts';
import { redactSecrets } from '../lib/redact-secrets.ts';
import { createContext, type AppContext } from './app-context.ts';

/** Runs a command body with a context, turning errors into one line and an exit code. */
export async function act(opts: { day?: number }, body: (ctx: AppContext) => Promise<ExitCode | void>): Promise<void> {
  let ctx: AppContext | undefined;
  let code: ExitCode = EXIT.ok;
  try {
    ctx = createContext(opts);
    const returned = await body(ctx);
    // A stopped command that has no say of its own did not finish its work.
    code = returned ?? (ctx.signal.aborted ? EXIT.failed : EXIT.ok);
  } catch (err) {
    code = err instanceof UserError ? err.exitCode : EXIT.failed;
    process.stderr.write(`trawl: ${redactSecrets(messageOf(err).split('\n')[0]!)}\n`);
    if (!(err instanceof UserError) && ctx?.log.isLevelEnabled('debug')) process.stderr.write(`${redactSecrets(String((err as Error).stack))}\n`);
  } finally {
    await ctx?.close();
  }
  process.exitCode = code;
}
