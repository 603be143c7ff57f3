// Which failures are a file's own (it is quarantined and ingest goes on) and which stop the ingest.
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/lib/errors.ts';
import { PoisonFileError, poisonReason } from '../../src/staging/poison-file.ts';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
/** As ingest reports a file's failure: its path first, the cause kept. */
const wrapped = (cause: unknown) => new Error(`ingest shop/2026-01-01/run.jsonl: ${(cause as Error).message}`, { cause });

describe('poisonReason', () => {
  it("names the file's own failures: data errors, limits, NOT NULL and CHECK, read errors, refusals, a stack overflow", () => {
    for (const err of [
      pgError('22P02', 'invalid input syntax for type json'),
      pgError('54000', 'index row size 4016 exceeds btree version 4 maximum 2704'),
      pgError('23514', 'new row violates check constraint'),
      Object.assign(new Error('EISDIR: illegal operation on a directory'), { code: 'EISDIR' }),
      new PoisonFileError('x.jsonl leads out of the raw folder'),
      new RangeError('Maximum call stack size exceeded'),
    ]) {
      expect(poisonReason(err)).toBe(err.message);
      expect(poisonReason(wrapped(err))).toBe(err.message);
    }
  });

  it('leaves to the ingest what is not the file: a lost connection, a race on a unique index, a usage error, a bug', () => {
    for (const err of [
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('23505', 'duplicate key value violates unique constraint "versions_change_detection"'),
      pgError('42P01', 'relation "staging.nope" does not exist'),
      new UserError('staging holds hash version 0: run `trawl rehash` first'),
      new TypeError('Cannot read properties of undefined'),
    ]) {
      expect(poisonReason(err)).toBeUndefined();
      expect(poisonReason(wrapped(err))).toBeUndefined();
    }
  });
});
