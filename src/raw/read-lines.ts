// Reads whole lines from a byte offset with bounded memory. A trailing partial line (a crash mid-write)
// is left for later: the ledger's offset stops at the last newline.
import fs from 'node:fs';

export interface RawFileLine {
  text: string;
  /** 1-based line number in the file. */
  lineNo: number;
  /** Byte offset of this line's first byte. */
  startOffset: number;
  /** Byte offset just past this line's newline. */
  endOffset: number;
}

export async function* readLines(file: string, from: { bytes: number; lines: number } = { bytes: 0, lines: 0 }): AsyncGenerator<RawFileLine> {
  for await (const batch of readLineBatches(file, from)) yield* batch;
}

/**
 * `readLines`, a read's worth of lines (about 1 MB) at a time: a loop over millions of lines pays
 * an await per read rather than per line (0.26-0.6 µs a line rather than 0.75-1.0 here).
 */
export async function* readLineBatches(file: string, from: { bytes: number; lines: number } = { bytes: 0, lines: 0 }): AsyncGenerator<RawFileLine[]> {
  let offset = from.bytes;
  let lineNo = from.lines;
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { start: from.bytes, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    const batch: RawFileLine[] = [];
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const text = buf.toString('utf8', start, nl);
      const startOffset = offset;
      offset += nl + 1 - start;
      start = nl + 1;
      lineNo++;
      if (text.trim() !== '') batch.push({ text, lineNo, startOffset, endOffset: offset });
    }
    rest = buf.subarray(start);
    buf = Buffer.alloc(0);
    if (batch.length > 0) yield batch;
  }
}
