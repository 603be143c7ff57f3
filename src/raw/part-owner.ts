// Which process writes a raw file's `.part`: a file beside it, `<part>.owner`, created exclusively
// and removed when the writer finishes or sets the file aside. Two writers can never share a
// `.part` (a second run resuming it while the first still writes would interleave their lines):
// the second finds the owner alive and refuses. An owner file left by a killed process on this
// machine names a dead pid and is taken over.
import fs from 'node:fs';
import os from 'node:os';
import { EXIT, UserError } from '../lib/errors.ts';
import { processAlive } from '../lib/process-alive.ts';

interface Owner {
  pid: number;
  host: string;
}

const ownerPath = (partPath: string) => `${partPath}.owner`;

/** Makes this process the writer of `partPath` (again, if it is already), or throws (exit 4) when another live process is. */
export function claimPart(partPath: string): void {
  const file = ownerPath(partPath);
  const me = JSON.stringify({ pid: process.pid, host: os.hostname() } satisfies Owner);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, me, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    if (owner?.pid === process.pid && owner.host === os.hostname()) return;
    if (owner && (owner.host !== os.hostname() || processAlive(owner.pid))) {
      throw new UserError(`${partPath} is being written by process ${owner.pid} on ${owner.host}: not resumed (a run of this spider is still crawling)`, { exitCode: EXIT.locked });
    }
    // Left by a killed writer: take it over.
    fs.rmSync(file, { force: true });
  }
  throw new UserError(`${partPath}: another process claimed it at the same moment`, { exitCode: EXIT.locked });
}

/** Gives up writing `partPath`. */
export function releasePart(partPath: string): void {
  fs.rmSync(ownerPath(partPath), { force: true });
}

function readOwner(file: string): Owner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host } : undefined;
  } catch {
    // Unreadable or half-written: no live owner can be named.
    return undefined;
  }
}
