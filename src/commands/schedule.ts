// `trawl schedule`: its wiring, summary and exit code.
import type { Command } from 'commander';
import { act } from './act.ts';
import { envHelp } from './env-help.ts';

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('Print the schedules (SCHEDULES_FILE) for cron or systemd.');
  for (const kind of ['crontab', 'systemd'] as const) {
    schedule
      .command(kind)
      .description(kind === 'crontab' ? 'Crontab lines with environment, working directory and log file.' : 'A service and a timer unit per spider.')
      .option('--log-dir <dir>', 'where cron writes each spider\'s log', '/var/log/trawl')
      .addHelpText('after', envHelp(['SCHEDULES_FILE']))
      .action((o: { logDir: string }) =>
        act({}, async (ctx) => {
          const { loadSchedules, renderCrontab, renderSystemd } = await import('../schedule/index.ts');
          const schedules = loadSchedules(ctx.config.schedulesFile);
          const opts = { projectDir: ctx.config.projectRoot, nodePath: process.execPath, logDir: o.logDir, schedulesFile: ctx.config.schedulesFile };
          process.stdout.write(kind === 'crontab' ? renderCrontab(schedules, opts) : renderSystemd(schedules, opts));
        }),
      );
  }
}
