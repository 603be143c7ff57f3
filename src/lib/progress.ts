// Live progress: a rewritten status line on a terminal, a JSON log line every interval under cron.
import type { Logger } from './logger.ts';

export interface Progress {
  update(fields: Record<string, number | string>): void;
  done(): void;
}

export function startProgress(opts: { label: string; log: Logger; tty?: boolean; intervalMs?: number }): Progress {
  const tty = opts.tty ?? process.stderr.isTTY === true;
  const started = Date.now();
  let fields: Record<string, number | string> = {};
  const render = () => {
    const secs = (Date.now() - started) / 1000;
    if (tty) {
      const parts = Object.entries(fields).map(([k, v]) => `${k} ${v}`);
      process.stderr.write(`\r\x1b[2K${opts.label}: ${parts.join(' · ')} · ${secs.toFixed(0)}s`);
    } else {
      opts.log.info({ progress: opts.label, ...fields, elapsed_s: Math.round(secs) }, 'progress');
    }
  };
  const timer = setInterval(render, opts.intervalMs ?? (tty ? 250 : 10_000));
  timer.unref();
  return {
    update(next) {
      fields = { ...fields, ...next };
    },
    done() {
      clearInterval(timer);
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}
