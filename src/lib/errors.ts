// Errors the CLI turns into one line and an exit code. Anything else is a bug and prints its stack.

/** Exit codes, documented in the README: cron and monitoring act on them. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  locked: 4,
  stale: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A problem the user can fix (bad config, unknown spider, unwritable folder): printed as one line. */
export class UserError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? EXIT.failed;
  }
}

/** The message of an unknown thrown value, for one-line reports. */
export function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
