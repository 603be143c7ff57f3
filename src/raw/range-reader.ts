// Reads chosen byte ranges of a file (the lines a file's change detection asks for): ranges close
// together are read with one read, a far one alone, so neither many reads nor unneeded bytes add up.
// Reads are synchronous: a few reads of at most 1 MB from a file just read, where an asynchronous
// read waits behind whatever else the process is doing (the next file's parsing) for each one.
import fs from 'node:fs';

export interface ByteRange {
  start: number;
  end: number;
}

/** Ranges whose gap is smaller than this share a read... */
const MAX_GAP = 16 << 10;
/** ...of at most this many bytes (a single longer range is read alone). */
const MAX_READ = 1 << 20;

export class RangeReader {
  private fd: number | undefined;
  private buf = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  /** The UTF-8 text of each range [start, end), in order. Ranges must ascend; one past the end is an error. */
  *read(ranges: readonly ByteRange[]): Generator<string> {
    this.fd ??= fs.openSync(this.file, 'r');
    for (let first = 0; first < ranges.length; ) {
      const start = ranges[first]!.start;
      let last = first;
      while (last + 1 < ranges.length && ranges[last + 1]!.start - ranges[last]!.end < MAX_GAP && ranges[last + 1]!.end - start <= MAX_READ) last++;
      const end = ranges[last]!.end;
      if (this.buf.length < end - start) this.buf = Buffer.alloc(Math.max(end - start, MAX_READ));
      const bytesRead = fs.readSync(this.fd, this.buf, 0, end - start, start);
      if (bytesRead < end - start) throw new Error(`${this.file} ends at byte ${start + bytesRead}, before the range ending at ${end} it was asked for`);
      for (let i = first; i <= last; i++) yield this.buf.toString('utf8', ranges[i]!.start - start, ranges[i]!.end - start);
      first = last + 1;
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
