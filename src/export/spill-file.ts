// What the exporter keeps out of memory (big list bodies, the new manifest's entries, the aliases to
// write) goes to temporary files: appended in batches, and joined with a head and a tail at the end.
import crypto from 'node:crypto';
import fs from 'node:fs';

const BATCH_CHARS = 256 * 1024;

/** A temporary file appended to in batches of about 256 KB. */
export class SpillFile {
  private fd: number | undefined;
  private pending: string[] = [];
  private chars = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  append(text: string): void {
    this.pending.push(text);
    this.chars += text.length;
    if (this.chars >= BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.fd === undefined) throw new Error(`${this.file} is closed`);
    if (this.pending.length > 0) fs.writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.chars = 0;
  }

  /** Idempotent, so that a failed export can close whatever it had open. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Writes `head`, the bytes of `middle` and `tail` into `file`; returns its size and sha256. */
export function joinIntoFile(file: string, head: string, middle: string, tail: string): { size: number; sha256: string } {
  const out = fs.openSync(file, 'w');
  const hash = crypto.createHash('sha256');
  let size = 0;
  const write = (chunk: Buffer) => {
    hash.update(chunk);
    fs.writeSync(out, chunk);
    size += chunk.length;
  };
  try {
    write(Buffer.from(head));
    const from = fs.openSync(middle, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n = fs.readSync(from, buf); n > 0; n = fs.readSync(from, buf)) write(buf.subarray(0, n));
    } finally {
      fs.closeSync(from);
    }
    write(Buffer.from(tail));
  } finally {
    fs.closeSync(out);
  }
  return { size, sha256: hash.digest('hex') };
}
