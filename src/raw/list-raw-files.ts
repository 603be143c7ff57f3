// The finished raw files under the raw folder: what ingest, prune and the archive walk.
import fs from 'node:fs';
import path from 'node:path';

/** Finished raw files (<source>/<date>/<run>.jsonl) in chronological order. */
export function listRawFiles(rawDir: string, sources?: string[]): string[] {
  if (!fs.existsSync(rawDir)) return [];
  const files: string[] = [];
  for (const source of fs.readdirSync(rawDir).sort()) {
    if (sources && !sources.includes(source)) continue;
    const sourceDir = path.join(rawDir, source);
    if (!fs.statSync(sourceDir).isDirectory()) continue;
    for (const day of fs.readdirSync(sourceDir).sort()) {
      const dayDir = path.join(sourceDir, day);
      if (!fs.statSync(dayDir).isDirectory()) continue;
      for (const f of fs.readdirSync(dayDir).sort()) if (f.endsWith('.jsonl')) files.push(path.join(dayDir, f));
    }
  }
  // Run ids start with their start time, so this sorts by time within and across days.
  return files.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}
