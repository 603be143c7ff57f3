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

describe('what readLines refuses, and a finished file', () => {
  const write = (name: string, content: Buffer | string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  const all = async (file: string, opts = {}) => {
    const out: RawFileLine[] = [];
    for await (const l of readLines(file, { bytes: 0, lines: 0 }, opts)) out.push(l);
    return out;
  };

  it('refuses a line over the limit without buffering it, within one read or across many, and goes on after it', async () => {
    const long = 'x'.repeat(3_500_000);
    const file = write('long.jsonl', `{"a":1}\n${long}\n{"b":2}\n${'y'.repeat(2000)}\n{"c":3}\n`);
    const lines = await all(file, { maxLineBytes: 1000 });
    expect(lines.map((l) => [l.lineNo, l.refused ?? l.text])).toEqual([
      [1, '{"a":1}'],
      [2, 'line of 3500000 bytes is over the limit of 1000 bytes'],
      [3, '{"b":2}'],
      [4, 'line of 2000 bytes is over the limit of 1000 bytes'],
      [5, '{"c":3}'],
    ]);
    // Byte ranges stay exact, and a refused line keeps only its first bytes as text.
    expect(lines[1]).toMatchObject({ startOffset: 8, endOffset: 8 + 3_500_001 });
    expect(lines[1]!.text).toHaveLength(512);
    expect(lines[2]!.startOffset).toBe(8 + 3_500_001);
  });

  it('refuses a line that is not valid UTF-8, naming the byte; a U+FFFD that is really there is valid', async () => {
    const file = write('utf8.jsonl', Buffer.concat([Buffer.from('{"t":"ok é"}\n{"t":"ab'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n{"t":"\uFFFD"}\n')]));
    const lines = await all(file);
    expect(lines.map((l) => l.refused)).toEqual([undefined, 'not valid UTF-8 (byte 8 of the line)', undefined]);
  });

  it('reads the last line of a finished file that has no newline, and leaves it in a file being written', async () => {
    const file = write('last.jsonl', '{"a":1}\n{"b":2}');
    expect((await all(file)).map((l) => l.text)).toEqual(['{"a":1}']);
    const whole = await all(file, { whole: true });
    expect(whole.map((l) => [l.text, l.endOffset])).toEqual([['{"a":1}', 8], ['{"b":2}', 15]]);
    const longLast = write('long-last.jsonl', `{"a":1}\n${'z'.repeat(5000)}`);
    expect((await all(longLast, { whole: true, maxLineBytes: 1000 })).map((l) => l.refused ?? l.text)).toEqual(['{"a":1}', 'line of 5000 bytes is over the limit of 1000 bytes']);
  });
});
