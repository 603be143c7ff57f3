// Time is injected so demo days and tests are reproducible: nothing else calls new Date() for data.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at) };
}

/** The observation time of demo day N: 2026-01-N at 06:00 UTC. */
export function demoDayTime(day: number): Date {
  return new Date(Date.UTC(2026, 0, day, 6, 0, 0));
}
