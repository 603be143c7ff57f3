// `trawl run`: crawl -> ingest -> etl -> export for one or more spiders, one ops.runs row per step.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.ts';
import { type CrawlResult, runCrawl } from '../crawl/index.ts';
import { closeRun, type Database, failRun, lockSpiders, openRun } from '../db/index.ts';
import { type EtlResult, runEtl } from '../etl/index.ts';
import { type ExportResult, type LakeResult, openTarget, runExport, runLakeExport } from '../export/index.ts';
import type { Clock } from '../lib/clock.ts';
import { EXIT, messageOf, UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { sendAlert } from './send-alert.ts';
import { failpoint } from '../lib/failpoint.ts';
import type { SpiderDefinition } from '../spiders/index.ts';
import { loadSourceRules } from './source-rules.ts';
import { archiveMissing } from '../raw/index.ts';
import { type IngestSummary, runIngest } from '../staging/index.ts';

export interface PipelineOptions {
  spiders: SpiderDefinition[];
  config: Config;
  database: Database;
  log: Logger;
  clock: Clock;
  day?: number;
  baseUrl?: string;
  signal?: AbortSignal;
  /** Crawl one partition of the (one) spider's scope only: `trawl run <spider> --partition X`. */
  partition?: string;
}

export interface PipelineResult {
  pipelineId: string;
  crawls: CrawlResult[];
  ingest: IngestSummary;
  etl: EtlResult;
  export: ExportResult;
  /** Set when LAKE_TARGET is. */
  lake?: LakeResult;
}

/**
 * Crawl → ingest → etl → export for the given spiders under their locks (`trawl run`); one ops.runs
 * row per step, alerts for failures and collapsed crawls.
 *
 * @example
 * const result = await runPipeline({ spiders: await resolveSpiders(['gog']), config, database, log, clock: systemClock });
 */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const { config, database } = opts;
  const pipelineId = crypto.randomUUID();
  const sources = opts.spiders.map((s) => s.name);
  // Every log line of the run carries its run id and spider.
  const log = opts.log.child({ run_id: pipelineId, spider: sources.join(',') });
  if (opts.partition !== undefined && sources.length !== 1) throw new UserError('--partition runs one spider: name exactly one', { exitCode: EXIT.usage });
  // One partition's run locks that partition (and shares the spider's lock with its other partitions).
  const locks = await lockSpiders(database.url, opts.partition === undefined ? sources : [`${sources[0]}/${opts.partition}`], log);
  try {
    // A lost lock stops the run as a signal does: the crawl closes its raw file incomplete.
    const signal = opts.signal ? AbortSignal.any([opts.signal, locks.lost]) : locks.lost;
    return await runLocked({ ...opts, log, signal }, pipelineId, opts.log, locks.lost);
  } catch (err) {
    await sendAlert(config.alertWebhookUrl, { kind: 'failed', spider: sources.join(','), message: messageOf(err) }, log);
    throw err;
  } finally {
    await locks.release();
  }
}

async function runLocked(opts: PipelineOptions, pipelineId: string, rootLog: Logger, lockLost: AbortSignal): Promise<PipelineResult> {
  /** No step starts once the spiders' lock is gone: another run may hold it by now. */
  const checkLock = () => {
    if (lockLost.aborted) throw lockLost.reason;
  };
  const { config, database, log, clock } = opts;
  const crawls: CrawlResult[] = [];
  for (const spider of opts.spiders) {
    const runId = await openRun(database.db, 'crawl', spider.name, pipelineId);
    try {
      // The pipeline's logger names its spiders already: a child with the same field would print it twice.
      const crawlLog = opts.spiders.length === 1 ? log : rootLog.child({ run_id: pipelineId, spider: spider.name });
      checkLock();
      const crawl = await runCrawl({ spider, config, log: crawlLog, clock, day: opts.day, baseUrl: opts.baseUrl, signal: opts.signal, partition: opts.partition });
      crawls.push(crawl);
      checkLock();
      await closeRun(database.db, runId, crawl.failedRequests > 0 || !crawl.complete ? 'partial' : 'ok', {
        pages: crawl.pages,
        records: crawl.records,
        quarantined: crawl.invalid,
        errors: crawl.failedRequests,
        raw_file: path.relative(config.rawDir, crawl.rawFile),
        message: `${opts.partition === undefined ? '' : `partition ${opts.partition}: `}${crawl.complete ? 'complete' : `incomplete, nothing will be delisted: ${crawl.incompleteReasons.join('; ')}`}`,
      });
    } catch (err) {
      await failRun(database.db, runId, { message: messageOf(err) });
      throw err;
    }
    if (opts.signal?.aborted) throw new Error('stopped by signal after the crawl; the raw file is kept for the next ingest');
  }
  if (config.rawArchive) {
    // Raw files whose upload failed after an earlier crawl go up now; a failure here fails nothing.
    await archiveMissing(config).then(
      (uploaded) => uploaded.length > 0 && log.info({ files: uploaded.length }, 'raw files archived late'),
      (err: unknown) => log.warn({ err: messageOf(err) }, 'raw archive not reachable: raw files stay local only'),
    );
  }
  const sources = opts.spiders.map((s) => s.name);
  failpoint('pipeline.before-ingest');
  checkLock();
  const ingest = await runIngest({ database, rawDir: config.rawDir, log, delistMaxMissingShare: config.delistMaxMissingShare, rules: await loadSourceRules(), sources, pipelineId, signal: opts.signal });
  for (const c of ingest.collapsed) {
    await sendAlert(config.alertWebhookUrl, { kind: 'collapsed', spider: c.file.split('/')[0] ?? null, message: `crawl record count collapsed in ${c.file} [${c.partition}]: nothing delisted` }, log);
  }
  failpoint('pipeline.before-etl');
  checkLock();
  const etl = await runEtl({ database, log, pipelineId, spider: sources.length === 1 ? sources[0] : null, signal: opts.signal });
  failpoint('pipeline.before-export');
  checkLock();
  const exported = await runExport({
    database,
    target: openTarget(config),
    clock,
    log,
    cacheMaxAge: config.exportCacheMaxAge,
    maxShrinkShare: config.exportMaxShrinkShare,
    feedDropMinShare: config.feedDropMinShare,
    pipelineId,
    spider: sources.length === 1 ? sources[0] : null,
    signal: opts.signal,
  });
  // The lake, when one is configured, after the public export: analysts' files never hold up the public's.
  const lake = config.lakeTarget === undefined ? undefined : await runLakeExport({ database, target: openTarget(config, 'LAKE_TARGET'), clock, log, pipelineId, signal: opts.signal });
  return { pipelineId, crawls, ingest, etl, export: exported, lake };
}
