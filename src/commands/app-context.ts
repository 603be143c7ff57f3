// What a command needs: config, logger, clock, the database when asked for, and a stop signal.
// Everything opened here is closed on the way out, also after Ctrl-C.
import { environmentWithDotEnv, loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { demoDayTime, fixedClock, systemClock, type Clock } from '../lib/clock.ts';
import { armFailpoint } from '../lib/failpoint.ts';
import { createLogger, type Logger } from '../lib/logger.ts';

export interface AppContext {
  config: Config;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
  database(): Promise<Database>;
  close(): Promise<void>;
}

export function createContext(opts: { day?: number } = {}): AppContext {
  const config = loadConfig(environmentWithDotEnv());
  armFailpoint(config.failpoint);
  const log = createLogger(config.log);
  // TRAWL_NOW wins; a demo day fixes the clock to that day's observation time.
  const clock = config.fixedNow ? fixedClock(config.fixedNow) : opts.day ? fixedClock(demoDayTime(opts.day)) : systemClock;
  const controller = new AbortController();
  let database: Promise<Database> | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    log.warn({ signal: sig }, 'stopping: finishing the current step cleanly (again to force)');
    controller.abort(new Error(`stopped by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    config,
    log,
    clock,
    signal: controller.signal,
    database: () => (database ??= openDatabase(config, log)),
    async close() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (database) await (await database.catch(() => undefined))?.close();
    },
  };
}
