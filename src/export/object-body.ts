// One exported object's body, {"updated_at":…,"count":…,"data":[…]}, built row by row. Small objects
// (a game's history) stay in memory; a list past SPILL_BYTES goes to a temporary file, so a list of
// every game costs disk, not heap. updated_at depends on the hash of the data, so it is written last
// and the body assembled after.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { joinIntoFile, SpillFile } from './spill-file.ts';

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

/** What the exporter publishes: a body that completes once it knows its updated_at. */
export interface Finishable {
  finish(updatedAtFor: (dataSha256: string) => string): FinishedBody;
}

/** A whole object already in memory (a feed): its text is its data. */
export function textBody(text: string, count: number): Finishable {
  return {
    finish: (updatedAtFor) => {
      const sha = sha256(text);
      return { body: text, size: Buffer.byteLength(text), sha256: sha, dataSha256: sha, count, updatedAt: updatedAtFor(sha) };
    },
  };
}

export class ObjectBody implements Finishable {
  private rows: string[] = [];
  private bytes = 0;
  private count = 0;
  private spilled: SpillFile | undefined;
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
    if (this.spilled) return this.spilled.append(piece);
    this.rows.push(piece);
    this.bytes += piece.length;
    if (this.bytes < SPILL_BYTES) return;
    this.spilled = new SpillFile(path.join(this.tmpDir, `${this.name}.data`));
    this.spilled.append(this.rows.join(''));
    this.rows = [];
  }

  /** Completes the body; `updatedAtFor` picks updated_at from the data's hash. */
  finish(updatedAtFor: (dataSha256: string) => string): FinishedBody {
    const dataSha256 = this.dataHash.update(']').digest('hex');
    const updatedAt = updatedAtFor(dataSha256);
    const head = `{"updated_at":${JSON.stringify(updatedAt)},"count":${this.count},"data":[`;
    const tail = ']}\n';
    if (!this.spilled) {
      const body = `${head}${this.rows.join('')}${tail}`;
      this.rows = [];
      return { body, size: Buffer.byteLength(body), sha256: sha256(body), dataSha256, count: this.count, updatedAt };
    }
    const data = this.spilled;
    this.spilled = undefined;
    data.close();
    const file = path.join(this.tmpDir, `${this.name}.body`);
    try {
      const { size, sha256: bodySha } = joinIntoFile(file, head, data.file, tail);
      return { body: { file }, size, sha256: bodySha, dataSha256, count: this.count, updatedAt };
    } finally {
      fs.rmSync(data.file, { force: true });
    }
  }

  /** Closes and removes anything spilled, for a body that will not be finished. */
  discard(): void {
    if (this.spilled) {
      this.spilled.close();
      fs.rmSync(this.spilled.file, { force: true });
    }
    this.spilled = undefined;
    this.rows = [];
  }
}

export function sha256(s: string | Buffer): string {
  return crypto.hash('sha256', s, 'hex');
}
