// Pino JSON lines under cron, readable lines on a terminal. Logs go to stderr; stdout carries results.
import pino from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config.ts';

export type Logger = pino.Logger;

export function createLogger(log: Config['log'], bindings: Record<string, unknown> = {}): Logger {
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
    },
    stream,
  );
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** postgres://user:secret@host/db -> postgres://user:***@host/db, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
