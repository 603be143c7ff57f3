// `trawl demo`: the whole pipeline over demo days, each observed at its own fixed time.
import type { Config } from '../config.ts';
import type { Database } from '../db/index.ts';
import { demoDayTime, fixedClock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { runPipeline, type PipelineResult } from './run-pipeline.ts';
import { resolveSpiders } from '../spiders/index.ts';

export interface DemoDayResult {
  day: number;
  result: PipelineResult;
}

export async function runDemo(opts: { days: number[]; config: Config; database: Database; log: Logger; signal?: AbortSignal }): Promise<DemoDayResult[]> {
  const [spider] = await resolveSpiders(['demo_store']);
  const results: DemoDayResult[] = [];
  for (const day of opts.days) {
    if (opts.signal?.aborted) break;
    opts.log.info({ day }, `demo day ${day}`);
    const clock = fixedClock(opts.config.fixedNow ?? demoDayTime(day));
    const result = await runPipeline({ spiders: [spider!], config: opts.config, database: opts.database, log: opts.log, clock, day, signal: opts.signal });
    results.push({ day, result });
  }
  return results;
}
