// Where a phase's CPU went: this process's, that of this machine's Postgres processes, and the
// machine's busy share (the last two from /proc: Linux only). A phase that keeps every core busy can
// only go faster by costing less CPU per record, not by overlapping more.
import fs from 'node:fs';

const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU in 1/100 s on Linux
const SAMPLE_MS = 200;

export interface CpuUse {
  /** CPU ms of this process, every thread (main, collector, libuv). */
  processMs: number;
  /** Busy share of all cores over the phase, 0..1; undefined without /proc. */
  busy: number | undefined;
  /** CPU ms of the Postgres processes on this machine; undefined when there are none (a remote server). */
  postgresMs: number | undefined;
}

/** Starts measuring; `stop()` returns the use since. */
export function startCpuMeter(): { stop(): CpuUse } {
  const process0 = process.cpuUsage();
  const processMs = () => {
    const used = process.cpuUsage(process0);
    return (used.user + used.system) / 1000;
  };
  if (!fs.existsSync('/proc/stat')) return { stop: () => ({ processMs: processMs(), busy: undefined, postgresMs: undefined }) };
  const machine0 = machineTicks();
  // Per process, its CPU when first and last seen: a backend may start or exit within the phase.
  const seen = new Map<number, { first: number; last: number }>();
  // The sampling runs in the measured process: each process is read whole once, and after that
  // only if it is Postgres.
  const others = new Set<string>();
  const sample = (initial: boolean) => {
    for (const [pid, ticks] of postgresTicks(others)) {
      const s = seen.get(pid);
      if (s) s.last = ticks;
      else seen.set(pid, { first: initial ? ticks : 0, last: ticks });
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      sample(false);
      const machine = machineTicks();
      let ticks = 0;
      for (const s of seen.values()) ticks += s.last - s.first;
      return {
        processMs: processMs(),
        busy: (machine.busy - machine0.busy) / Math.max(1, machine.total - machine0.total),
        postgresMs: seen.size === 0 ? undefined : ticks * TICK_MS,
      };
    },
  };
}

function machineTicks(): { busy: number; total: number } {
  // user, nice, system, idle, iowait, irq, softirq, steal (guest time is already in user)
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait
  return { busy: total - fields[3]! - (fields[4] ?? 0), total };
}

/** CPU ticks of each Postgres process; `others` collects the pids found not to be Postgres. */
function postgresTicks(others: Set<string>): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (others.has(name) || !/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') {
      others.add(name);
      continue;
    }
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime: fields 14 and 15 of stat, 12 and 13 after the name
    out.set(Number(name), Number(fields[11]) + Number(fields[12]));
  }
  return out;
}
