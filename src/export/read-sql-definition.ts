// The header of a definition file (sql/exports/*.sql, sql/lake/*.sql): `-- key: value` lines before the
// statement, and the one statement after them.

export interface SqlDefinitionText {
  /** `-- key: value` lines, up to the first line that is neither a comment nor blank. */
  header: Record<string, string>;
  /** The statement, without its trailing semicolon. */
  sql: string;
  /** Throws the reason, naming the file. */
  fail(why: string): never;
}

export function readSqlDefinition(where: string, text: string): SqlDefinitionText {
  const header: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^--\s*([a-z_]+):\s*(.+)$/.exec(line);
    if (m) header[m[1]!] = m[2]!.trim();
    else if (!line.startsWith('--') && line.trim() !== '') break;
  }
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  const sql = text.replace(/;\s*$/, '').trim();
  if (sql.replace(/^--.*$/gm, '').includes(';')) fail('holds more than one statement');
  return { header, sql, fail };
}
