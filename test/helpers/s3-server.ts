// A real S3-API server (s3rver) on loopback, talked to with the real AWS SDK.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';

export interface S3Server {
  endpoint: string;
  close(): Promise<void>;
}

/** The fixed credentials s3rver accepts, as the SDK reads them from the environment (also a child's). */
export const S3RVER_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

export async function startS3Server(buckets: string[]): Promise<S3Server> {
  Object.assign(process.env, S3RVER_ENV);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
