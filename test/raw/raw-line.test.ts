import { describe, expect, it } from 'vitest';
import { readRawRecord } from '../../src/raw/raw-line.ts';

const line = (observed_at: unknown) => ({ source: 's', entity: 'e', key: 'k', observed_at, data: { a: 1 } });

describe('readRawRecord', () => {
  it('judges each observed_at, also one that follows a valid time', () => {
    const valid = '2026-01-01T06:00:00.000Z';
    expect(readRawRecord(line(valid)).ok).toBe(true);
    expect(readRawRecord(line(valid)).ok).toBe(true);
    for (const bad of ['2026-13-01T06:00:00Z', 'yesterday', `${valid} `, '2026-01-01', 1767247200000]) {
      const r = readRawRecord(line(bad));
      expect(r.ok, String(bad)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/observed_at/);
    }
    expect(readRawRecord(line('2026-01-01T07:00:00+01:00')).ok).toBe(true);
    expect(readRawRecord(line(valid)).ok).toBe(true);
  });
});
