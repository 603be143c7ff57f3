import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLineBatches, readLines, type RawFileLine } from '../../src/raw/read-lines.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-read-lines-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The whole lines of `text` after byte `from`, by splitting it: what a reader must give. */
function expected(text: string, from: { bytes: number; lines: number }): RawFileLine[] {
  const out: RawFileLine[] = [];
  const bytes = Buffer.from(text);
  let offset = from.bytes;
  let lineNo = from.lines;
  for (let nl = bytes.indexOf(10, offset); nl !== -1; nl = bytes.indexOf(10, offset)) {
    const line = bytes.toString('utf8', offset, nl);
    lineNo++;
    if (line.trim() !== '') out.push({ text: line, lineNo, startOffset: offset, endOffset: nl + 1 });
    offset = nl + 1;
  }
  return out;
}

describe('readLines and readLineBatches', () => {
  // Over 3 MB: several 1 MB reads, with multi-byte characters and lines split across read boundaries,
  // blank lines, and a last line with no newline yet (a crash mid-write).
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) lines.push(i % 997 === 0 ? '   ' : JSON.stringify({ i, title: `Pokémon ✓ ${'x'.repeat(i % 500)} 漢字 ${i}` }));
  const text = `${lines.join('\n')}\n{"partial":`;
  const file = path.join(dir, 'lines.jsonl');
  fs.writeFileSync(file, text);

  it('give every whole line with its number and byte range, in batches of a read, from any offset', async () => {
    const third = expected(text, { bytes: 0, lines: 0 })[4000]!;
    for (const from of [{ bytes: 0, lines: 0 }, { bytes: third.startOffset, lines: third.lineNo - 1 }]) {
      const batches: RawFileLine[][] = [];
      for await (const batch of readLineBatches(file, from)) batches.push([...batch]);
      const single: RawFileLine[] = [];
      for await (const line of readLines(file, from)) single.push(line);
      const want = expected(text, from);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.flat()).toEqual(want);
      expect(single).toEqual(want);
      // The partial last line is left for a later read.
      expect(want.at(-1)!.endOffset).toBe(Buffer.byteLength(text) - '{"partial":'.length);
    }
  });
});
