// `trawl status`: the last run of each spider and step, from ops.runs.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

export interface StatusRow {
  spider: string | null;
  step: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  pages: number | null;
  records: number | null;
  new_versions: number | null;
  quarantined: number | null;
  message: string | null;
}

export async function readStatus(db: Kysely<DB>): Promise<StatusRow[]> {
  const rows = await db
    .selectFrom('ops.runs')
    .distinctOn(['spider', 'step'])
    .select(['spider', 'step', 'status', 'started_at', 'finished_at', 'pages', 'records', 'new_versions', 'quarantined', 'message'])
    .orderBy('spider')
    .orderBy('step')
    .orderBy(sql`started_at`, 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows as StatusRow[];
}
