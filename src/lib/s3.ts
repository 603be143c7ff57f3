// S3 access shared by the exporter, the raw archive and the landing bucket.
import fs from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; may be empty. */
  prefix: string;
}

export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`${url} is not an s3://<bucket>/<prefix> URL`);
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function joinKey(prefix: string, key: string): string {
  return prefix ? `${prefix}/${key}` : key;
}

/**
 * The SDK settings S3-compatible stores need (path-style, no aws-chunked checksum framing), and bounds:
 * a connection or an answer that does not come fails the attempt, and a request gets 4 attempts with
 * the SDK's exponential backoff. Without a timeout a stalled endpoint would hang an export forever.
 */
export const S3_MAX_ATTEMPTS = 4;

export interface S3Settings {
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  requestTimeoutSecs: number;
}

export function createS3Client(s3: S3Settings): S3Client {
  return new S3Client({
    region: s3.region,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: s3.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: S3_MAX_ATTEMPTS,
    // This SDK only warns about a request past its timeout unless told to throw.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: s3.requestTimeoutSecs * 1000, throwOnRequestTimeout: true },
  });
}

/** Every object whose key starts with `startsWith` (all pages of the listing), folder markers left out. */
export async function listObjects(s3: S3Client, bucket: string, startsWith: string | undefined): Promise<{ key: string; etag: string | undefined }[]> {
  const objects: { key: string; etag: string | undefined }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: startsWith || undefined, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) objects.push({ key: o.Key, etag: o.ETag });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** An object larger than the caller allows, counted as it streams (after gunzip for a .gz key). */
export class ObjectTooLargeError extends Error {}

/**
 * Downloads an object to a file, gunzipping a .gz key as it streams. More than `maxBytes` (after
 * decompression) stops the download at once: a gzip bomb never fills the disk. Each chunk is
 * written before the next is taken, so a disk slower than inflating cannot pile chunks up in memory.
 */
export async function downloadObject(s3: S3Client, bucket: string, key: string, to: string, maxBytes = Number.POSITIVE_INFINITY): Promise<void> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = res.Body as Readable;
  const fd = fs.openSync(to, 'w');
  let seen = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) return done(new ObjectTooLargeError(`${key}: more than ${maxBytes} bytes${key.endsWith('.gz') ? ' after decompression' : ''} (LANDING_MAX_BYTES)`));
      try {
        fs.writeSync(fd, chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  try {
    if (key.endsWith('.gz')) await pipeline(body, createGunzip(), sink);
    else await pipeline(body, sink);
  } finally {
    fs.closeSync(fd);
  }
}
