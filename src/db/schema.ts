// Kysely types of the tables application code touches. ETL and export SQL live in .sql files instead.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Count = number | null;

export interface RunsTable {
  id: Generated<number>;
  pipeline_id: string | null;
  step: 'crawl' | 'ingest' | 'etl' | 'export';
  spider: string | null;
  status: ColumnType<RunStatus, RunStatus | undefined, RunStatus>;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: Timestamp | null;
  pages: Count;
  records: Count;
  new_versions: Count;
  unchanged: Count;
  delisted: Count;
  quarantined: Count;
  errors: Count;
  raw_file: string | null;
  message: string | null;
}

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed';

export interface RawFilesTable {
  id: Generated<number>;
  path: string;
  source: string | null;
  run_id: string | null;
  bytes_ingested: ColumnType<number, number | undefined, number>;
  lines_ingested: ColumnType<number, number | undefined, number>;
  finished: Generated<boolean>;
  complete: Generated<boolean>;
  first_ingested_at: Generated<Date>;
  last_ingested_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface QuarantineTable {
  id: Generated<number>;
  raw_file_id: number;
  raw_line: number;
  run_id: string | null;
  source: string | null;
  entity: string | null;
  key: string | null;
  reason: string;
  line: string;
  quarantined_at: Generated<Date>;
}

export interface EtlStateTable {
  singleton: Generated<boolean>;
  watermark: ColumnType<number, never, number>;
  updated_at: ColumnType<Date, never, Date | string>;
}

export interface DB {
  'ops.runs': RunsTable;
  'ops.etl_state': EtlStateTable;
  'staging.raw_files': RawFilesTable;
  'staging.quarantine': QuarantineTable;
}
