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
 * an await per read rather than per line (0.26-0.6 µs a line rather than 0.75-1.0 here). A batch
 * decodes each line as it is iterated: decoded all at once, a batch's strings outlived young-
 * generation collections while a slow consumer (a first crawl) worked through them, and peak RSS
 * rose from 158 to 185 MB.
 */
export async function* readLineBatches(file: string, from: { bytes: number; lines: number } = { bytes: 0, lines: 0 }): AsyncGenerator<Iterable<RawFileLine>> {
  let offset = from.bytes;
  let lineNo = from.lines;
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { start: from.bytes, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    const whole = buf.lastIndexOf(10) + 1;
    rest = buf.subarray(whole);
    if (whole === 0) continue;
    let newlines = 0;
    for (let nl = buf.indexOf(10); nl !== -1 && nl < whole; nl = buf.indexOf(10, nl + 1)) newlines++;
    yield linesOf(buf.subarray(0, whole), offset, lineNo);
    offset += whole;
    lineNo += newlines;
  }
}

/** The non-blank lines of `buf` (whole lines only), which starts at byte `offset` after line `lineNo`. */
function* linesOf(buf: Buffer, offset: number, lineNo: number): Generator<RawFileLine> {
  let start = 0;
  for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
    const text = buf.toString('utf8', start, nl);
    lineNo++;
    const startOffset = offset + start;
    start = nl + 1;
    if (text.trim() !== '') yield { text, lineNo, startOffset, endOffset: offset + start };
  }
}
