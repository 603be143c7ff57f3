// `trawl ingest`: every finished raw file not yet (fully) ingested, oldest first, or chosen files again.
import fs from 'node:fs';
import path from 'node:path';
import { closeRun, type Database, failRun, openRun } from '../db/index.ts';
import type { Logger } from '../lib/logger.ts';
import { failpoint } from '../lib/failpoint.ts';
import { listRawFiles } from '../raw/index.ts';
import { quarantinedPaths } from './poison-file.ts';
import { ingestFiles } from './ingest.ts';
import type { IngestCounts, IngestFileResult } from './ingest-file.ts';
import type { SourceRulebook } from './source-rules.ts';

export interface IngestOptions {
  database: Database;
  rawDir: string;
  log: Logger;
  delistMaxMissingShare: number;
  /** What staging knows of each source (src/pipeline/source-rules.ts builds it from the spiders). */
  rules: SourceRulebook;
  /** Only these sources' files. */
  sources?: string[];
  /** Re-ingest exactly these files, from their first line. */
  replay?: string[];
  pipelineId?: string | null;
  /** Stops after the files being applied: no further file starts. */
  signal?: AbortSignal;
}

export interface IngestSummary extends IngestCounts {
  files: IngestFileResult[];
  collapsed: { file: string; partition: string }[];
  /** Files quarantined whole by this ingest (they cannot be read), and those passed over as quarantined before. */
  quarantinedFiles: { path: string; reason: string }[];
  skippedQuarantinedFiles: string[];
}

/**
 * Lands every finished raw file not yet (fully) ingested, oldest first, or exactly `replay`; each file
 * in one transaction. Quarantines what fails at the door and never stops at a bad line or file.
 *
 * @example
 * const spiders = await loadSpiders();
 * const s = await runIngest({ database, rawDir: config.rawDir, log, delistMaxMissingShare: 0.5, rules: sourceRulesOf(spiders) });
 * // s.newVersions, s.quarantined, s.quarantinedFiles
 */
export async function runIngest(opts: IngestOptions): Promise<IngestSummary> {
  const replay = opts.replay !== undefined;
  const files = replay ? opts.replay!.map((f) => path.resolve(f)) : listRawFiles(opts.rawDir, opts.sources);
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`raw file not found: ${f}`);
  const spider = opts.sources?.length === 1 ? opts.sources[0]! : null;
  const runId = await openRun(opts.database.db, 'ingest', spider, opts.pipelineId ?? null);
  const summary: IngestSummary = { files: [], records: 0, newVersions: 0, unchanged: 0, delisted: 0, quarantined: 0, newQuarantined: 0, collapsed: [], quarantinedFiles: [], skippedQuarantinedFiles: [] };
  try {
    const options = { pool: opts.database.pool, rawDir: opts.rawDir, replay, rules: opts.rules, delistMaxMissingShare: opts.delistMaxMissingShare, log: opts.log, signal: opts.signal };
    // A file quarantined whole by an earlier pass waits for `trawl quarantine retry`.
    const rels = files.map((f) => path.relative(opts.rawDir, f));
    const passedOver = await quarantinedPaths(opts.database.pool, rels);
    summary.skippedQuarantinedFiles = rels.filter((f) => passedOver.has(f));
    const toIngest = files.filter((_, i) => !passedOver.has(rels[i] as string));
    for (const f of summary.skippedQuarantinedFiles) opts.log.info({ file: f }, 'raw file passed over: quarantined (trawl quarantine retry tries it again)');
    await ingestFiles(toIngest, options, (r) => {
      if (r.skipped) return;
      failpoint('ingest.after-commit');
      summary.files.push(r);
      summary.records += r.records;
      summary.newVersions += r.newVersions;
      summary.unchanged += r.unchanged;
      summary.delisted += r.delisted;
      summary.quarantined += r.quarantined;
      summary.newQuarantined += r.newQuarantined;
      summary.collapsed.push(...r.collapsed.map((partition) => ({ file: r.path, partition })));
      opts.log.info({ file: r.path, records: r.records, new_versions: r.newVersions, delisted: r.delisted, quarantined: r.quarantined }, 'raw file ingested');
    }, (q) => summary.quarantinedFiles.push(q));
  } catch (err) {
    await failRun(opts.database.db, runId, { ...figures(summary), message: String((err as Error).message) });
    throw err;
  }
  const status = summary.quarantined > 0 || summary.quarantinedFiles.length > 0 ? 'partial' : 'ok';
  const notes = [
    ...(summary.collapsed.length ? [`collapsed: ${summary.collapsed.map((c) => `${c.file} [${c.partition}]`).join(', ')}`] : []),
    ...(summary.quarantinedFiles.length ? [`files quarantined: ${summary.quarantinedFiles.map((f) => `${f.path} (${f.reason})`).join(', ')}`] : []),
  ];
  const message = notes.length ? notes.join('; ') : null;
  await closeRun(opts.database.db, runId, status, { ...figures(summary), message });
  return summary;
}

function figures(s: IngestSummary) {
  return {
    records: s.records,
    new_versions: s.newVersions,
    unchanged: s.unchanged,
    delisted: s.delisted,
    quarantined: s.quarantined,
    raw_file: s.files.length === 1 ? s.files[0]!.path : null,
  };
}
