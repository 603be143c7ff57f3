// Connection-level statements a stage needs: a planner method off for one statement, a read-only
// snapshot for a run of reads, and stopping what a connection runs now.
import type pg from 'pg';

/**
 * Runs one statement with a scan or join method of the planner off, where statistics mislead it
 * (temp tables have none; rows just landed are not in them); the rest of the transaction keeps it.
 */
export async function without<T>(client: pg.ClientBase, method: 'seqscan' | 'nestloop', statement: () => Promise<T>): Promise<T> {
  // set_config(…, true) is SET LOCAL.
  await client.query("SELECT set_config($1, 'off', true)", [`enable_${method}`]);
  const result = await statement();
  await client.query("SELECT set_config($1, 'on', true)", [`enable_${method}`]);
  return result;
}

/** Cancels the statement `client` runs now (from another connection of `pool`); its transaction then fails. */
export async function cancelRunningStatement(pool: pg.Pool, client: pg.ClientBase): Promise<void> {
  await pool.query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID]);
}

/**
 * Runs `reads` in one read-only REPEATABLE READ snapshot: every statement sees the same committed data,
 * whatever commits meanwhile (the exports read many queries that must agree with each other).
 */
export async function inReadSnapshot<T>(client: pg.ClientBase, reads: () => Promise<T>): Promise<T> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const result = await reads();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
