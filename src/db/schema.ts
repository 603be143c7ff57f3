// Kysely types of the tables application code reaches through kysely (the run log). Set-based staging,
// ETL and export SQL lives in .sql files instead.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Count = number | null;

export interface RunsTable {
  id: Generated<number>;
  pipeline_id: string | null;
  step: 'crawl' | 'ingest' | 'etl' | 'export' | 'lake';
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
  host: string | null;
  pid: number | null;
}

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed' | 'killed';

export interface DB {
  'ops.runs': RunsTable;
}
