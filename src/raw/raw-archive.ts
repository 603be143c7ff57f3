// RAW_ARCHIVE: every finished raw file also goes to an object store, gzipped, under its raw path.
import fs from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../config.ts';
import { createS3Client, joinKey, parseS3Url } from '../lib/s3.ts';

/** Streams one finished raw file up, gzipped (multipart when large); returns its s3:// URL. */
export async function archiveRawFile(config: Config, file: string): Promise<string> {
  if (!config.rawArchive) throw new Error('RAW_ARCHIVE is not set');
  const { bucket, prefix } = parseS3Url(config.rawArchive);
  const rel = path.relative(config.rawDir, file).split(path.sep).join('/');
  const key = joinKey(prefix, `${rel}.gz`);
  const upload = new Upload({
    client: createS3Client(config),
    params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file).pipe(createGzip()), ContentType: 'application/x-ndjson' },
  });
  await upload.done();
  return `s3://${bucket}/${key}`;
}
