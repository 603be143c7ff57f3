// Appends raw lines as a crawl goes: each page's lines reach the file before the page counts as done,
// so a killed crawl loses nothing it had finished. The file is fsynced and renamed when the run ends.
import fs from 'node:fs';
import path from 'node:path';
import type { RunEnd, RunStart } from './raw-line.ts';

export class RawWriter {
  readonly finalPath: string;
  readonly partPath: string;
  private fd: number;
  private pending: string[] = [];
  private closed = false;

  constructor(finalPath: string) {
    this.finalPath = finalPath;
    this.partPath = `${finalPath}.part`;
    fs.mkdirSync(path.dirname(finalPath), { recursive: true });
    this.fd = fs.openSync(this.partPath, 'a');
  }

  /** Queues one line; `flush` writes it. */
  add(line: object): void {
    if (this.closed) throw new Error(`raw file ${this.finalPath} is already closed`);
    this.pending.push(JSON.stringify(line));
  }

  /** Writes queued lines in one write call. */
  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join('\n')}\n`;
    this.pending = [];
    fs.writeSync(this.fd, chunk);
  }

  start(line: RunStart): void {
    this.add(line);
    this.flush();
  }

  /** Writes the closing line, fsyncs, and gives the file its final name. */
  finish(end: RunEnd): string {
    this.add(end);
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
    fs.renameSync(this.partPath, this.finalPath);
    fsyncDir(path.dirname(this.finalPath));
    return this.finalPath;
  }

  /** Closes without finishing: the .part file stays for a resumed run or a crash ingest. */
  abandon(): void {
    if (this.closed) return;
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.closed = true;
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
