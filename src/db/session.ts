// Connection-level statements a stage needs: a planner method off for one statement, and stopping
// what a connection runs now.
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
