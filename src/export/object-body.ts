// One exported object's body, {"updated_at":…,"count":…,"data":[…]}, built row by row. Small objects
// (a game's history) stay in memory; a list past SPILL_BYTES goes to a temporary file, so a list of
// every game costs disk, not heap. updated_at depends on the hash of the data, so it is written last
// and the body assembled after.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const SPILL_BYTES = 1 << 20;

/** A body too big to hold: its bytes are in `file`. */
export interface FileBody {
  file: string;
}

export interface FinishedBody {
  body: string | FileBody;
  size: number;
  sha256: string;
  dataSha256: string;
  count: number;
  updatedAt: string;
}

export class ObjectBody {
  private rows: string[] = [];
  private bytes = 0;
  private count = 0;
  private fd: number | undefined;
  private dataFile: string | undefined;
  private readonly dataHash = crypto.createHash('sha256').update('[');

  /** `tmpDir` holds spilled data and bodies; `name` keeps their file names apart. */
  constructor(
    private readonly tmpDir: string,
    private readonly name: string,
  ) {}

  add(rowJson: string): void {
    const piece = this.count === 0 ? rowJson : `,${rowJson}`;
    this.count++;
    this.dataHash.update(piece);
    this.rows.push(piece);
    this.bytes += piece.length;
    if (this.bytes >= SPILL_BYTES) this.spill();
  }

  private spill(): void {
    if (this.fd === undefined) {
      this.dataFile = path.join(this.tmpDir, `${this.name}.data`);
      this.fd = fs.openSync(this.dataFile, 'w');
    }
    fs.writeSync(this.fd, this.rows.join(''));
    this.rows = [];
    this.bytes = 0;
  }

  /** Completes the body; `updatedAtFor` picks updated_at from the data's hash. */
  finish(updatedAtFor: (dataSha256: string) => string): FinishedBody {
    const dataSha256 = this.dataHash.update(']').digest('hex');
    const updatedAt = updatedAtFor(dataSha256);
    const head = `{"updated_at":${JSON.stringify(updatedAt)},"count":${this.count},"data":[`;
    const tail = ']}\n';
    if (this.fd === undefined) {
      const body = `${head}${this.rows.join('')}${tail}`;
      this.rows = [];
      return { body, size: Buffer.byteLength(body), sha256: sha256(body), dataSha256, count: this.count, updatedAt };
    }
    this.spill();
    fs.closeSync(this.fd);
    this.fd = undefined;
    // The body is the head, the data file and the tail, hashed as it is written.
    const file = path.join(this.tmpDir, `${this.name}.body`);
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
      const data = fs.openSync(this.dataFile!, 'r');
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n = fs.readSync(data, buf); n > 0; n = fs.readSync(data, buf)) write(buf.subarray(0, n));
      fs.closeSync(data);
      write(Buffer.from(tail));
    } finally {
      fs.closeSync(out);
      fs.rmSync(this.dataFile!, { force: true });
    }
    return { body: { file }, size, sha256: hash.digest('hex'), dataSha256, count: this.count, updatedAt };
  }

  /** Closes and removes anything spilled, for a body that will not be finished. */
  discard(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    if (this.dataFile) fs.rmSync(this.dataFile, { force: true });
    this.rows = [];
  }
}

export function sha256(s: string | Buffer): string {
  return crypto.hash('sha256', s, 'hex');
}
