// The schedules file: one place that says when each spider runs, in which time zone, when its data
// counts as stale, and how long a run may take before a worker's job expires.
import fs from 'node:fs';
import parser from 'cron-parser';
import { z } from 'zod';
import { EXIT, UserError } from '../lib/errors.ts';

const scheduleSchema = z
  .object({
    cron: z.string().min(9),
    timezone: z.string().min(1).default('UTC'),
    stale_after_hours: z.number().positive().default(26),
    timeout_minutes: z.number().positive().default(60),
  })
  .strict();

export type Schedule = z.infer<typeof scheduleSchema> & { spider: string };

export function parseSchedules(text: string, file: string): Schedule[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not JSON: ${(err as Error).message}`, { exitCode: EXIT.usage });
  }
  const parsed = z.record(z.string().regex(/^[a-z0-9_]+$/), scheduleSchema).safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new UserError(`${file}: ${i.path.join('.')}: ${i.message}`, { exitCode: EXIT.usage });
  }
  return Object.entries(parsed.data).map(([spider, s]) => {
    try {
      Intl.DateTimeFormat('en', { timeZone: s.timezone });
    } catch {
      throw new UserError(`${file}: ${spider}.timezone: unknown time zone ${s.timezone}`, { exitCode: EXIT.usage });
    }
    try {
      parser.parseExpression(s.cron, { tz: s.timezone });
    } catch (err) {
      throw new UserError(`${file}: ${spider}.cron: ${(err as Error).message}`, { exitCode: EXIT.usage });
    }
    if (s.cron.trim().split(/\s+/).length !== 5) throw new UserError(`${file}: ${spider}.cron: use five fields (minute hour day month weekday)`, { exitCode: EXIT.usage });
    return { spider, ...s };
  });
}

/**
 * The schedules file, validated: one entry per spider with cron, timezone, stale_after_hours and
 * timeout_minutes; a bad entry is one UserError line naming it.
 *
 * @example
 * for (const s of loadSchedules(config.schedulesFile)) previousTick(s, new Date());
 */
export function loadSchedules(file: string): Schedule[] {
  if (!fs.existsSync(file)) throw new UserError(`no schedules file at ${file} (set SCHEDULES_FILE)`, { exitCode: EXIT.usage });
  return parseSchedules(fs.readFileSync(file, 'utf8'), file);
}

/** The latest tick at or before `now`. */
export function previousTick(s: Schedule, now: Date): Date {
  return parser.parseExpression(s.cron, { tz: s.timezone, currentDate: new Date(now.getTime() + 1) }).prev().toDate();
}
