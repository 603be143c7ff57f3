// `trawl ingest --from s3://bucket/prefix/`: raw files other producers drop in a landing bucket
// (plain or gzip JSON lines). Each object is ingested once, recorded in the ledger by key and ETag;
// an unreadable file is quarantined as a whole with its reason and the others go on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { createS3Client, downloadObject, listObjects, parseS3Url } from '../lib/s3.ts';
import type { SpiderDefinition } from '../spiders/define-spider.ts';
import { ingestFile, type IngestFileResult } from './ingest.ts';

export interface LandingResult {
  files: IngestFileResult[];
  quarantinedFiles: { path: string; reason: string }[];
}

export async function ingestFromBucket(opts: {
  url: string;
  config: Config;
  pool: pg.Pool;
  spiders: Map<string, SpiderDefinition>;
  log: Logger;
}): Promise<LandingResult> {
  const { bucket, prefix } = parseS3Url(opts.url);
  const s3 = createS3Client(opts.config);
  const result: LandingResult = { files: [], quarantinedFiles: [] };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-landing-'));
  try {
    for (const obj of await listObjects(s3, bucket, prefix && `${prefix}/`)) {
      const ledgerPath = `s3://${bucket}/${obj.key}@${(obj.etag ?? '').replace(/"/g, '')}`;
      const seen = await opts.pool.query(
        `SELECT 1 FROM staging.raw_files WHERE path = $1 AND finished
         UNION ALL SELECT 1 FROM staging.quarantined_files WHERE path = $1`,
        [ledgerPath],
      );
      if (seen.rowCount) continue;
      const local = path.join(tmp, 'object.jsonl');
      try {
        await downloadObject(s3, bucket, obj.key, local);
        checkLooksLikeJsonLines(local);
      } catch (err) {
        const reason = messageOf(err);
        await opts.pool.query('INSERT INTO staging.quarantined_files (path, reason) VALUES ($1, $2) ON CONFLICT (path) DO NOTHING', [ledgerPath, reason]);
        result.quarantinedFiles.push({ path: ledgerPath, reason });
        opts.log.warn({ file: ledgerPath, reason }, 'landing file quarantined');
        continue;
      }
      const r = await ingestFile({ pool: opts.pool, rawDir: tmp, file: local, ledgerPath, replay: true, spiders: opts.spiders, delistMaxMissingShare: opts.config.delistMaxMissingShare, log: opts.log });
      // An object is read whole: mark it finished so the next pass skips it.
      await opts.pool.query('UPDATE staging.raw_files SET finished = true, etag = $2 WHERE path = $1', [ledgerPath, obj.etag ?? null]);
      result.files.push(r);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

/** A file whose first line is not a JSON object is not a raw file at all: quarantine it whole. */
function checkLooksLikeJsonLines(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return;
    const first = buf.subarray(0, n).toString('utf8').split('\n')[0]!.trim();
    let parsed: unknown;
    try {
      parsed = JSON.parse(first);
    } catch {
      throw new Error('not JSON lines: the first line is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not JSON lines: the first line is not an object');
  } finally {
    fs.closeSync(fd);
  }
}
