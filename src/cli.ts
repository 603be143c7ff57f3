// Argument parsing and the exit-code map only; each command lives in src/commands/<command>.ts.
// Command modules load their stages on use: Crawlee, Playwright and the AWS SDK take seconds to import,
// and `--help` or `status` need none of them.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerArchive } from './commands/archive.ts';
import { registerCrawl } from './commands/crawl.ts';
import { registerDb } from './commands/db.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEtl } from './commands/etl.ts';
import { registerExport } from './commands/export.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPrune } from './commands/prune.ts';
import { registerQuarantine } from './commands/quarantine.ts';
import { registerRebuild } from './commands/rebuild.ts';
import { registerRehash } from './commands/rehash.ts';
import { registerReparse } from './commands/reparse.ts';
import { registerRun } from './commands/run.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerServe } from './commands/serve.ts';
import { registerSpiders } from './commands/spiders.ts';
import { registerStatus } from './commands/status.ts';
import { registerTry } from './commands/try.ts';
import { registerWorker } from './commands/worker.ts';
import { envHelp } from './commands/env-help.ts';
import { ENV_VARS, type EnvVar } from './config.ts';
import { EXIT } from './lib/errors.ts';

/** The version in package.json. */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('trawl')
    .description('Scraper-to-warehouse ETL: crawl sources, keep raw JSON, land changes in Postgres, publish static JSON.')
    .addHelpText(
      'after',
      `${envHelp(Object.keys(ENV_VARS) as EnvVar[])}\nExit codes: 0 ok, 1 failed, 2 usage or config error, 3 partial (records quarantined or crawl incomplete), 4 already running, 5 stale (status).\n`,
    )
    .version(packageVersion(), '--version', 'print the version and exit')
    // Usage errors: one line, exit 2. Set before the commands are added, which copy these settings.
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`trawl: ${str.replace(/^error: /, '').trim()} (trawl --help lists the commands)\n`) });
  registerMigrate(program);
  registerSpiders(program);
  registerCrawl(program);
  registerIngest(program);
  registerQuarantine(program);
  registerTry(program);
  registerReparse(program);
  registerRehash(program);
  registerEtl(program);
  registerExport(program);
  registerRun(program);
  registerDemo(program);
  registerStatus(program);
  registerSchedule(program);
  registerWorker(program);
  registerRebuild(program);
  registerArchive(program);
  registerPrune(program);
  registerServe(program);
  registerDb(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // commander's own: help and version end 0; every usage error (already printed in one line) ends 2.
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
