// Which ingest failures a file's own content caused. Such a file is quarantined as a whole, with its
// reason, and ingest goes on with the next; any other failure (the database lost, a hash version to
// roll out, a bug) stops the ingest, so nothing is quarantined for a reason that is not the file's.
import type pg from 'pg';
import { messageOf, UserError } from '../lib/errors.ts';
import { sqlQuery } from '../db/index.ts';

const Q = (name: string) => sqlQuery('staging/quarantined-files.sql', name);

/** A file's content cannot be ingested (thrown by readers that know it). */
export class PoisonFileError extends Error {}

/**
 * SQLSTATEs a row's data causes: data exceptions (22…), a limit exceeded (54…), a NOT NULL or CHECK
 * constraint (23502, 23514). A unique violation is left out: it is a race with another writer, not
 * the file's fault, and the next run retries it.
 */
const DATA_CLASSES = new Set(['22', '54']);
const DATA_CODES = new Set(['23502', '23514']);
/** Errors of reading a file (not of the database connection). */
const FILE_ERRNOS = new Set(['EACCES', 'EISDIR', 'EIO', 'ELOOP', 'ENOENT', 'ENOTDIR', 'Z_DATA_ERROR', 'Z_BUF_ERROR', 'ERR_STRING_TOO_LONG']);

/** The reason to quarantine the file for, or undefined when the failure is not the file's. */
export function poisonReason(err: unknown): string | undefined {
  if (err instanceof UserError) return undefined;
  // Ingest wraps a file's failure with its path; the cause says what happened.
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof PoisonFileError || e instanceof RangeError) return messageOf(e);
    if (typeof code === 'string' && (FILE_ERRNOS.has(code) || DATA_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && DATA_CLASSES.has(code.slice(0, 2))))) return messageOf(e);
    e = e.cause;
  }
  return undefined;
}

export async function quarantineFile(pool: pg.Pool, path: string, reason: string): Promise<void> {
  await pool.query(Q('quarantine_file'), [path, reason]);
}

/** Which of these ledger paths are quarantined. */
export async function quarantinedPaths(pool: pg.Pool, paths: string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const { rows } = await pool.query<{ path: string }>(Q('quarantined_paths'), [paths]);
  return new Set(rows.map((r) => r.path));
}

export async function listQuarantinedFiles(pool: pg.Pool): Promise<{ path: string; reason: string; quarantined_at: Date }[]> {
  return (await pool.query<{ path: string; reason: string; quarantined_at: Date }>(Q('list_quarantined_files'))).rows;
}

/** `trawl quarantine retry`: every quarantined file is tried again by the next ingest. */
export async function clearQuarantinedFiles(pool: pg.Pool): Promise<number> {
  return (await pool.query(Q('clear_quarantined_files'))).rowCount ?? 0;
}
