// SQL lives in .sql files. A file holds one statement, or several named with `-- name: <name>` lines.
import fs from 'node:fs';
import path from 'node:path';

export const SQL_DIR = path.resolve(import.meta.dirname, '../../sql');

const cache = new Map<string, Record<string, string>>();

/** The named statements of sql/<file>. */
export function sqlQueries(file: string): Record<string, string> {
  let queries = cache.get(file);
  if (!queries) {
    const text = fs.readFileSync(path.join(SQL_DIR, file), 'utf8');
    queries = {};
    for (const part of text.split(/^-- name: */m).slice(1)) {
      const [name, ...body] = part.split('\n');
      queries[name!.trim()] = body.join('\n').trim();
    }
    if (Object.keys(queries).length === 0) throw new Error(`sql/${file} names no statements`);
    cache.set(file, queries);
  }
  return queries;
}

/**
 * One named statement; a missing name is a programming error.
 *
 * @example
 * // sql/staging/quarantine.sql holds `-- name: list` and its statement:
 * const { rows } = await pool.query(sqlQuery('staging/quarantine.sql', 'list'), [false, 100]);
 */
export function sqlQuery(file: string, name: string): string {
  const q = sqlQueries(file)[name];
  if (!q) throw new Error(`sql/${file} has no statement named ${name}`);
  return q;
}
