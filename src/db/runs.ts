// ops.runs: one row per pipeline step, opened when the step starts and closed with its figures.
import os from 'node:os';
import type { Kysely } from 'kysely';
import type { DB, RunStatus, RunsTable } from './schema.ts';
import { processAlive } from '../lib/process-alive.ts';
import { redactSecrets } from '../lib/redact-secrets.ts';

export type RunFigures = Partial<Pick<RunsTable, 'pages' | 'records' | 'new_versions' | 'unchanged' | 'delisted' | 'quarantined' | 'errors' | 'raw_file' | 'message'>>;

export async function openRun(db: Kysely<DB>, step: RunsTable['step'], spider: string | null, pipelineId: string | null): Promise<number> {
  await markKilledRuns(db);
  const row = await db
    .insertInto('ops.runs')
    .values({ step, spider, pipeline_id: pipelineId, host: os.hostname(), pid: process.pid })
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

/**
 * Marks 'killed' the steps left running on this machine by processes that are gone (a SIGKILL, a
 * crash, a reboot): their rows would otherwise say 'running' for ever. Steps of other machines are
 * theirs to mark. Returns how many.
 */
export async function markKilledRuns(db: Kysely<DB>): Promise<number> {
  const running = await db.selectFrom('ops.runs').select(['id', 'pid']).where('status', '=', 'running').where('host', '=', os.hostname()).execute();
  const gone = running.filter((r) => r.pid !== null && r.pid !== process.pid && !processAlive(r.pid)).map((r) => r.id);
  if (gone.length === 0) return 0;
  await db
    .updateTable('ops.runs')
    .set({ status: 'killed', finished_at: new Date(), message: 'killed: its process ended without closing the step (found by a later step on this machine)' })
    .where('id', 'in', gone)
    .where('status', '=', 'running')
    .execute();
  return gone.length;
}
