// The marts, kept up to date as dbt keeps its models: each sql/marts/NNN_<view>.sql defines the view
// mart.<view> with its COMMENT, and is applied, in file order, only when its text differs from what
// the database last applied (ops.mart_definitions). An unchanged mart is never touched, so its
// readers are never blocked; a changed one is replaced in one short transaction. They are applied once
// per command, after the migrations every command that opens the database runs first (src/db/migrate.ts):
// a new database gets its marts there, an upgraded one the views whose files changed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { LOCK, lockForTransaction, retryWhileLocked } from './locks.ts';
import { SQL_DIR, sqlQuery } from './sql-file.ts';
import type { Logger } from '../lib/logger.ts';

export const MARTS_DIR = path.join(SQL_DIR, 'marts');
const Q = (name: string) => sqlQuery('db/apply-marts.sql', name);

/** ops.mart_definitions' row for the column dictionary (sql/db/apply-marts.sql, comment_columns). */
export const COLUMN_COMMENTS = 'column-comments';
const commentsSha = () => crypto.createHash('sha256').update(Q('comment_columns')).digest('hex');

/** How long a replacement waits for the view's readers before it steps back and tries again. */
const LOCK_WAIT_MS = 2_000;

export interface MartFile {
  file: string;
  /** The view the file defines: mart.<view>. */
  view: string;
  text: string;
  sha256: string;
}

export function martFiles(dir = MARTS_DIR): MartFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return { file, view: file.slice(4, -4), text, sha256: crypto.createHash('sha256').update(text).digest('hex') };
    });
}

/**
 * Applies the mart files that changed (and, after a view had to be dropped, every later one: the
 * drop took its dependents along), then the column comments. Returns the files applied. A reader holding a view makes the
 * replacement step back and try again, so no reader queues behind it for long.
 */
export async function applyMarts(client: pg.ClientBase, log: Logger, opts: { dir?: string; signal?: AbortSignal } = {}): Promise<string[]> {
  const files = martFiles(opts.dir);
  if (upToDate(files, await appliedMarts(client))) return [];
  return retryWhileLocked(() => applyChanged(client, files), { what: 'readers of a changed mart', log, signal: opts.signal });
}

async function appliedMarts(client: pg.ClientBase): Promise<Map<string, string>> {
  return new Map((await client.query<{ file: string; sha256: string }>(Q('applied'))).rows.map((r) => [r.file, r.sha256]));
}

const upToDate = (files: MartFile[], applied: Map<string, string>) =>
  files.every((f) => applied.get(f.file) === f.sha256) && applied.get(COLUMN_COMMENTS) === commentsSha();

async function applyChanged(client: pg.ClientBase, files: MartFile[]): Promise<string[]> {
  const done: string[] = [];
  await client.query('BEGIN');
  try {
    // One applier at a time (an ETL and an export may start together); the second finds them applied.
    await lockForTransaction(client, LOCK.marts);
    const applied = await appliedMarts(client);
    if (upToDate(files, applied)) {
      await client.query('COMMIT');
      return [];
    }
    await client.query(Q('lock_timeout'), [`${LOCK_WAIT_MS}ms`]);
    let dropped = false;
    for (const mart of files) {
      if (!dropped && applied.get(mart.file) === mart.sha256) continue;
      await client.query('SAVEPOINT mart');
      try {
        await client.query(mart.text);
      } catch (err) {
        // 42P16: CREATE OR REPLACE cannot drop, rename or retype a column: the view goes, with its
        // dependents, which the later files make again.
        if ((err as { code?: string }).code !== '42P16') throw err;
        await client.query('ROLLBACK TO SAVEPOINT mart');
        await client.query(Q('name_view_to_drop'), [mart.view]);
        await client.query(Q('drop_named_view'));
        await client.query(mart.text);
        dropped = true;
      }
      await client.query(Q('record'), [mart.file, mart.sha256]);
      done.push(mart.file);
    }
    // Column comments come from one dictionary: after any view was made, or when the dictionary changed.
    if (done.length > 0 || applied.get(COLUMN_COMMENTS) !== commentsSha()) {
      await client.query(Q('comment_columns'));
      await client.query(Q('record'), [COLUMN_COMMENTS, commentsSha()]);
    }
    await client.query(Q('grant_analyst'));
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
