// What one raw file's ingest takes and gives: the contract between ingest.ts and the steps it runs.
import type pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import type { LocateRawFile } from './overlapping-sightings.ts';
import type { SourceRulebook } from './source-rules.ts';

/** What an ingest counts, per file and in sum. */
export interface IngestCounts {
  records: number;
  newVersions: number;
  unchanged: number;
  delisted: number;
  quarantined: number;
  /** Of those, lines whose source, key and reason no earlier file quarantined: only these make exit 3. */
  newQuarantined: number;
}

export interface IngestFileResult extends IngestCounts {
  path: string;
  lines: number;
  collapsed: string[];
  skipped: boolean;
}

export interface IngestFileOptions {
  pool: pg.Pool;
  rawDir: string;
  file: string;
  /** The file's name in the ledger; default its path relative to rawDir. */
  ledgerPath?: string;
  /** Re-read from the start, whatever the ledger says. */
  replay?: boolean;
  /**
   * The file is whole and will not grow (a downloaded landing object): a last line without a newline
   * is a line. Otherwise such a line is a write in progress, left for the next ingest.
   */
  whole?: boolean;
  /** What staging knows of each source (src/pipeline/source-rules.ts builds it from the spiders). */
  rules: SourceRulebook;
  delistMaxMissingShare: number;
  log: Logger;
  /** Where a ledgered raw file (a crawl overlapping this one) can be read again; default: under rawDir. */
  locateRawFile?: LocateRawFile;
  /** `ingestFiles` starts no further file once this aborts (each file lands whole or not at all). */
  signal?: AbortSignal;
}
