// `trawl ingest --from s3://bucket/prefix/`: raw files other producers drop in a landing bucket
// (plain or gzip JSON lines). Each object is ingested once, recorded in the ledger by key and ETag;
// an unreadable file is quarantined as a whole with its reason and the others go on.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { sqlQuery } from '../db/index.ts';
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { makeTempFolder, sweepStaleTempFolders } from '../lib/temp-folder.ts';
import { createS3Client, downloadObject, listObjects, parseS3Url } from '../lib/s3.ts';
import { ingestFile } from './ingest.ts';
import type { IngestFileResult } from './ingest-file.ts';
import { locateUnder, type LocateRawFile } from './overlapping-sightings.ts';
import { poisonReason, quarantineFile } from './poison-file.ts';
import type { SourceRulebook } from './source-rules.ts';

const Q = (name: string) => sqlQuery('staging/landing.sql', name);

export interface LandingResult {
  files: IngestFileResult[];
  quarantinedFiles: { path: string; reason: string }[];
}

export async function ingestFromBucket(opts: {
  url: string;
  config: Config;
  pool: pg.Pool;
  rules: SourceRulebook;
  log: Logger;
}): Promise<LandingResult> {
  const { bucket, prefix } = parseS3Url(opts.url);
  const s3 = createS3Client(opts.config.s3);
  const result: LandingResult = { files: [], quarantinedFiles: [] };
  sweepStaleTempFolders('landing', opts.log);
  // The folder names its process: a later ingest removes it if this one is killed.
  const tmp = makeTempFolder('landing');
  // A crawl overlapping an object is read again: a trawl crawl from the raw folder, another object
  // from its bucket (into the temp folder, removed with it).
  const underRawDir = locateUnder(opts.config.rawDir);
  const locateRawFile: LocateRawFile = async (ledgerPath) => {
    const object = /^s3:\/\/([^/]+)\/(.+)@[^@]*$/.exec(ledgerPath);
    if (!object) return underRawDir(ledgerPath);
    const to = path.join(tmp, 'sighted.jsonl');
    await downloadObject(s3, object[1]!, object[2]!, to, opts.config.landingMaxBytes);
    return to;
  };
  try {
    for (const obj of await listObjects(s3, bucket, prefix && `${prefix}/`)) {
      const ledgerPath = `s3://${bucket}/${obj.key}@${(obj.etag ?? '').replace(/"/g, '')}`;
      const seen = await opts.pool.query(Q('seen_object'), [ledgerPath]);
      if (seen.rowCount) continue;
      const local = path.join(tmp, 'object.jsonl');
      const quarantine = async (reason: string) => {
        await quarantineFile(opts.pool, ledgerPath, reason);
        result.quarantinedFiles.push({ path: ledgerPath, reason });
        opts.log.warn({ file: ledgerPath, reason }, 'landing file quarantined');
      };
      let r: IngestFileResult;
      try {
        try {
          await downloadObject(s3, bucket, obj.key, local, opts.config.landingMaxBytes);
          checkLooksLikeJsonLines(local);
        } catch (err) {
          await quarantine(messageOf(err));
          continue;
        }
        try {
          r = await ingestFile({ pool: opts.pool, rawDir: tmp, file: local, ledgerPath, replay: true, whole: true, rules: opts.rules, delistMaxMissingShare: opts.config.delistMaxMissingShare, log: opts.log, locateRawFile });
        } catch (err) {
          // An object whose content fails it is quarantined and the next goes on; anything else stops.
          const reason = poisonReason(err);
          if (reason === undefined) throw err;
          await quarantine(reason);
          continue;
        }
      } finally {
        fs.rmSync(local, { force: true });
      }
      // An object is read whole: mark it finished so the next pass skips it.
      await opts.pool.query(Q('finish_object'), [ledgerPath, obj.etag ?? null]);
      result.files.push(r);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

/**
 * A file that does not start with a JSON object is not JSON lines at all: quarantine it whole. Only
 * its first bytes are looked at; a first line too long or unreadable is the line reader's to refuse.
 */
function checkLooksLikeJsonLines(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const first = buf.subarray(0, n).toString('utf8').trimStart();
    if (first !== '' && !first.startsWith('{')) throw new Error('not JSON lines: the file does not start with a JSON object');
  } finally {
    fs.closeSync(fd);
  }
}
