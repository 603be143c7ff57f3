// A bounded pool of concurrent async tasks: `run` waits while `limit` are in flight; `drain` waits for
// all and throws the first failure. Object-store latency, not CPU, bounds an export.
export interface Limiter {
  run(task: () => Promise<void>): Promise<void>;
  drain(): Promise<void>;
}

export function createLimiter(limit: number): Limiter {
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  return {
    async run(task) {
      if (failure) throw failure;
      while (inflight.size >= limit) await Promise.race(inflight);
      const p: Promise<void> = task()
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    async drain() {
      await Promise.all(inflight);
      if (failure) throw failure;
    },
  };
}
