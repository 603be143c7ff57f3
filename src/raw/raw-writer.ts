// Appends raw lines as a crawl goes: each page's lines reach the file in one write before the page
// counts as done, so a killed crawl loses nothing it had finished and a resumed one continues the same
// file (opened for append). The file is fsynced and renamed when the run ends.
import fs from 'node:fs';
import path from 'node:path';
import { claimPart, releasePart } from './part-owner.ts';
import type { RunEnd, RunStart } from './raw-line.ts';

export class RawWriter {
  readonly finalPath: string;
  readonly partPath: string;
  private fd: number;
  private closed = false;

  constructor(finalPath: string) {
    this.finalPath = finalPath;
    this.partPath = `${finalPath}.part`;
    fs.mkdirSync(path.dirname(finalPath), { recursive: true });
    // One writer per .part: a live one elsewhere makes this throw (exit 4).
    claimPart(this.partPath);
    this.fd = fs.openSync(this.partPath, 'a');
  }

  /** Writes serialised lines in one write call: a page and its marker land together. */
  write(lines: string[]): void {
    if (this.closed) throw new Error(`raw file ${this.finalPath} is already closed`);
    if (lines.length > 0) fs.writeSync(this.fd, `${lines.join('\n')}\n`);
  }

  start(line: RunStart): void {
    this.write([JSON.stringify(line)]);
  }

  /** Writes the closing line, fsyncs, and gives the file its final name. */
  finish(end: RunEnd): string {
    this.write([JSON.stringify(end)]);
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    fs.renameSync(this.partPath, this.finalPath);
    fsyncDir(path.dirname(this.finalPath));
    releasePart(this.partPath);
    return this.finalPath;
  }

  /** Closes without finishing: the .part file stays for a resumed run or a crash ingest. */
  abandon(): void {
    if (this.closed) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    releasePart(this.partPath);
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
