// The finished raw files under the raw folder: what ingest, prune and the archive walk.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Finished raw files (<source>/<date>/<run>.jsonl) in chronological order. Symbolic links are not
 * followed: whatever they point at is not the raw folder's.
 */
export function listRawFiles(rawDir: string, sources?: string[]): string[] {
  if (!fs.existsSync(rawDir)) return [];
  const files: string[] = [];
  const dirs = (dir: string) => fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const source of dirs(rawDir)) {
    if (sources && !sources.includes(source)) continue;
    const sourceDir = path.join(rawDir, source);
    for (const day of dirs(sourceDir)) {
      const dayDir = path.join(sourceDir, day);
      for (const f of fs.readdirSync(dayDir, { withFileTypes: true })) if (f.isFile() && f.name.endsWith('.jsonl')) files.push(path.join(dayDir, f.name));
    }
  }
  // Run ids start with their start time, so this sorts by time within and across days.
  return files.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}

/** Whether `file` is really inside `rawDir`, symbolic links resolved. */
export function isInsideRawDir(rawDir: string, file: string): boolean {
  const real = fs.realpathSync(file);
  const root = fs.realpathSync(rawDir);
  const rel = path.relative(root, real);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
