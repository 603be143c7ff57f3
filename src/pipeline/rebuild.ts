// `trawl rebuild`: after the database is lost, rebuild it from the raw files, the source of truth:
// schema, staging (every raw file replayed in run order, from the local raw folder or, for files the
// disk lost too, from RAW_ARCHIVE), core (a full ETL) and the published export.
import type { Config } from '../config.ts';
import { type Database, sqlQuery } from '../db/index.ts';
import { type EtlResult, runEtl } from '../etl/index.ts';
import { type ExportResult, openTarget, runExport } from '../export/index.ts';
import type { Clock } from '../lib/clock.ts';
import { UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { restoreMissing } from '../raw/index.ts';
import { type IngestSummary, runIngest } from '../staging/index.ts';
import { loadSourceRules } from './source-rules.ts';

export interface RebuildResult {
  restored: string[];
  ingest: IngestSummary;
  etl: EtlResult;
  export: ExportResult;
}

export async function rebuild(opts: { config: Config; database: Database; log: Logger; clock: Clock }): Promise<RebuildResult> {
  const { config, database, log } = opts;
  const { rows } = await database.pool.query<{ n: number }>(sqlQuery('pipeline/rebuild.sql', 'count_versions'));
  if (rows[0]!.n > 0) {
    throw new UserError(`the database already holds ${rows[0]!.n} staging versions: rebuild is for a lost database (trawl ingest --replay re-reads chosen files)`);
  }
  const { restored, refused } = config.rawArchive ? await restoreMissing(config) : { restored: [], refused: [] };
  if (restored.length) log.info({ files: restored.length, from: config.rawArchive }, 'raw files restored from the archive');
  for (const key of refused) log.warn({ key, from: config.rawArchive }, 'archive key refused: not a raw file path inside the raw folder');
  const ingest = await runIngest({ database, rawDir: config.rawDir, log, delistMaxMissingShare: config.delistMaxMissingShare, rules: await loadSourceRules() });
  const etl = await runEtl({ database, log, full: true });
  const exported = await runExport({ database, target: openTarget(config), clock: opts.clock, log, cacheMaxAge: config.exportCacheMaxAge, maxShrinkShare: config.exportMaxShrinkShare, feedDropMinShare: config.feedDropMinShare });
  return { restored, ingest, etl, export: exported };
}
