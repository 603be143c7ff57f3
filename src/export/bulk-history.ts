// v1/history/prices.jsonl.gz: the whole price history in one download, one JSON line per price row,
// gzipped. Streamed from a cursor through gzip into a temporary file, so memory stays flat however
// long the history is; the same rows give the same bytes (gzip's header carries no time here), hence
// the same content-addressed key, and no upload when nothing changed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { PoolClient } from 'pg';
import Cursor from 'pg-cursor';
import { sqlQuery } from '../db/index.ts';
import type { Finishable, FinishedBody } from './object-body.ts';

export const BULK_HISTORY_PATH = 'v1/history/prices.jsonl.gz';
const BATCH = 2000;

/** Writes the gzipped history into tmpDir; the body is finished once the manifest knows its updated_at. */
export async function writeBulkHistory(client: PoolClient, tmpDir: string): Promise<Finishable> {
  const file = path.join(tmpDir, 'history.jsonl.gz');
  const dataHash = crypto.createHash('sha256');
  const bodyHash = crypto.createHash('sha256');
  let count = 0;
  let size = 0;
  const cursor = client.query(new Cursor(sqlQuery('export/bulk-history.sql', 'history')));
  async function* lines(): AsyncGenerator<string> {
    for (;;) {
      const rows = await cursor.read(BATCH);
      if (rows.length === 0) return;
      const text = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
      dataHash.update(text);
      count += rows.length;
      yield text;
    }
  }
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bodyHash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.from(lines()), zlib.createGzip({ level: 6 }), measure, fs.createWriteStream(file));
  } finally {
    await cursor.close();
  }
  const dataSha256 = dataHash.digest('hex');
  const sha256 = bodyHash.digest('hex');
  return {
    finish: (updatedAtFor): FinishedBody => ({ body: { file }, size, sha256, dataSha256, count, updatedAt: updatedAtFor(dataSha256) }),
  };
}
