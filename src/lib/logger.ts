// Pino JSON lines under cron, readable lines on a terminal. Logs go to stderr; stdout carries results.
import pino from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets } from './redact-secrets.ts';

export type Logger = pino.Logger;

export interface LogSettings {
  level: string;
  format: 'auto' | 'pretty' | 'json';
}

export function createLogger(log: LogSettings, bindings: Record<string, unknown> = {}): Logger {
  const human = log.format === 'pretty' || (log.format === 'auto' && process.stderr.isTTY === true);
  const stream = human
    ? pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })
    : pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level: log.level,
      base: bindings,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: connection strings are redacted before logging, these catch the rest.
      redact: { paths: ['password', '*.password', 'databaseUrl', '*.databaseUrl', 'secretAccessKey'], censor: '[redacted]' },
      // Any text a log line carries (its message, its fields, an error's message) is redacted too.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(redactArg) as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
}

function redactArg(arg: unknown): unknown {
  if (typeof arg === 'string') return redactSecrets(arg);
  if (arg instanceof Error) return Object.assign(Object.create(Object.getPrototypeOf(arg) as object) as Error, arg, { message: redactSecrets(arg.message), stack: arg.stack && redactSecrets(arg.stack) });
  if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
    return Object.fromEntries(Object.entries(arg as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? redactSecrets(v) : v instanceof Error ? redactArg(v) : v]));
  }
  return arg;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });

