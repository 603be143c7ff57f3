// Lap times of a multi-step operation, for its debug log.

/** Records into `timings` the milliseconds since the previous lap (or the start) under each name. */
export function stopwatch(timings: Record<string, number>): (name: string) => void {
  let mark = performance.now();
  return (name) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
}
