// S3 access shared by the exporter, the raw archive and the landing bucket.
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.ts';

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

/** The SDK settings S3-compatible stores need: path-style and no aws-chunked checksum framing. */
export function createS3Client(config: Config): S3Client {
  return new S3Client({
    region: config.s3.region,
    ...(config.s3.endpoint ? { endpoint: config.s3.endpoint } : {}),
    forcePathStyle: config.s3.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  });
}
