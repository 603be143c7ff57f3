import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RangeReader } from '../../src/raw/range-reader.ts';

describe('RangeReader', () => {
  it('reads ranges near and far, short and longer than one read, and refuses one past the end', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-ranges-')), 'f.txt');
    // 3 MB of numbered lines, one over 1 MB long, and multi-byte text.
    const lines = Array.from({ length: 30_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`);
    lines[20_000] = `long ${'x'.repeat(1_500_000)}`;
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const starts: number[] = [];
    let at = 0;
    for (const l of lines) {
      starts.push(at);
      at += Buffer.byteLength(l) + 1;
    }
    const range = (i: number) => ({ start: starts[i]!, end: starts[i]! + Buffer.byteLength(lines[i]!) });
    const reader = new RangeReader(file);
    const read = (ranges: { start: number; end: number }[]) => [...reader.read(ranges)];
    try {
      // Neighbours (one read), a far one, the long one alone, and all lines of a stretch.
      const picked = [0, 1, 6, 500, 5_000, 19_999, 20_000, 20_001, 29_999];
      expect(read(picked.map(range))).toEqual(picked.map((i) => lines[i]));
      const stretch = Array.from({ length: 19_000 }, (_, i) => i + 1_000);
      expect(read(stretch.map(range))).toEqual(stretch.map((i) => lines[i]));
      // A later batch may start before an earlier one.
      expect(read([range(3)])).toEqual([lines[3]]);
      expect(() => read([range(29_999), { start: at - 2, end: at + 10 }])).toThrow(/ends at byte/);
    } finally {
      reader.close();
    }
  });
});
