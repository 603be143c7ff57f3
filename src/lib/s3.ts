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

/**
 * The SDK settings S3-compatible stores need (path-style, no aws-chunked checksum framing), and bounds:
 * a connection or an answer that does not come fails the attempt, and a request gets 4 attempts with
 * the SDK's exponential backoff. Without a timeout a stalled endpoint would hang an export forever.
 */
export const S3_MAX_ATTEMPTS = 4;

export function createS3Client(config: Config): S3Client {
  return new S3Client({
    region: config.s3.region,
    ...(config.s3.endpoint ? { endpoint: config.s3.endpoint } : {}),
    forcePathStyle: config.s3.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: S3_MAX_ATTEMPTS,
    // This SDK only warns about a request past its timeout unless told to throw.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: config.s3.requestTimeoutSecs * 1000, throwOnRequestTimeout: true },
  });
}
