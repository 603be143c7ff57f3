// trawl's temporary folders: named `trawl-<kind>-<pid>-…` in the system's temp folder, so that a
// later run can tell, and remove, those a killed process left behind (only trawl's own, by name).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from './logger.ts';
import { processAlive } from './process-alive.ts';

/** A new temp folder of this process for `kind` (landing, export). */
export function makeTempFolder(kind: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `trawl-${kind}-${process.pid}-`));
}

/**
 * Removes `kind` temp folders whose process is gone, or, for a name without a process (older
 * releases), a day old. Returns what it removed.
 */
export function sweepStaleTempFolders(kind: string, log: Logger, dir = os.tmpdir()): string[] {
  const prefix = `trawl-${kind}-`;
  const named = new RegExp(`^trawl-${kind}-(\\d+)-`);
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const folder = path.join(dir, name);
    const pid = named.exec(name)?.[1];
    let stale: boolean;
    if (pid) stale = Number(pid) !== process.pid && !processAlive(Number(pid));
    else {
      try {
        stale = Date.now() - fs.statSync(folder).mtimeMs > 86_400_000;
      } catch {
        continue;
      }
    }
    if (!stale) continue;
    fs.rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
    log.info({ folder }, `removed a ${kind} temp folder a killed run left`);
  }
  return removed;
}
