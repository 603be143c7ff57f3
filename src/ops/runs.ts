// ops.runs: one row per pipeline step, opened when the step starts and closed with its figures.
import type { Kysely } from 'kysely';
import type { DB, RunStatus, RunsTable } from '../db/schema.ts';
import { redactSecrets } from '../lib/redact-secrets.ts';

export type RunFigures = Partial<Pick<RunsTable, 'pages' | 'records' | 'new_versions' | 'unchanged' | 'delisted' | 'quarantined' | 'errors' | 'raw_file' | 'message'>>;

export async function openRun(db: Kysely<DB>, step: RunsTable['step'], spider: string | null, pipelineId: string | null): Promise<number> {
  const row = await db
    .insertInto('ops.runs')
    .values({ step, spider, pipeline_id: pipelineId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function closeRun(db: Kysely<DB>, id: number, status: RunStatus, figures: RunFigures = {}): Promise<void> {
  // A message may quote an error that quotes a URL: the ledger keeps no secret either.
  const message = figures.message == null ? figures.message : redactSecrets(figures.message);
  await db
    .updateTable('ops.runs')
    .set({ ...figures, ...(message !== undefined ? { message } : {}), status, finished_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/**
 * Records a failed step without ever throwing: when the database itself is what failed, recording it
 * fails too, and that second error must not hide the first (the row then stays 'running').
 */
export async function failRun(db: Kysely<DB>, id: number, figures: RunFigures = {}): Promise<void> {
  await closeRun(db, id, 'failed', figures).catch(() => undefined);
}
