// Postgres COPY text format: one row a line, fields split by tabs, \N for null, backslash escapes.

/** One line of COPY text format. */
export function copyRow(values: (string | number | null | undefined)[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += '\t';
    out += v === null || v === undefined ? '\\N' : typeof v === 'number' ? String(v) : copyText(v);
  }
  return `${out}\n`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** JSON text needs only its backslashes doubled for COPY. */
export function copyJson(s: string): string {
  return s.includes('\\') ? s.replaceAll('\\', '\\\\') : s;
}

/** Text escaped for a COPY text-format field. */
export function copyText(s: string): string {
  if (!COPY_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
