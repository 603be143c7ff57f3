// The hash of what a spider validates with: the text of its file and of every module of this project
// it imports, directly or not (its schema, key and partition, the shared offer schema, the currency
// table). A crawl writes it in its raw file's start line; ingest trusts the lines of a file whose hash
// is the current one, and validates again the lines of any other. A change anywhere in that code
// changes the hash: re-validating costs microseconds, trusting a stale verdict would cost a wrong record.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const RELATIVE_IMPORT = /(?:from\s*|import\s*\(\s*)'(\.{1,2}\/[^']+\.ts)'/g;

/** The hex sha256 of `entryFile` and, sorted by path, every .ts file it reaches by relative imports. */
export function schemaHash(entryFile: string): string {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(path.resolve(entryFile));
  const hash = crypto.createHash('sha256');
  for (const file of [...seen].sort()) hash.update(`${path.basename(file)}\0${fs.readFileSync(file, 'utf8')}\0`);
  return hash.digest('hex');
}
