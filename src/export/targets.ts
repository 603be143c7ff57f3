// Where exported objects go: a local folder with the bucket's layout, or an S3-compatible bucket.
import fs from 'node:fs';
import path from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../config.ts';
import type { FileBody } from './object-body.ts';
import { EXIT, UserError, messageOf } from '../lib/errors.ts';
import { createS3Client, joinKey, listObjects, parseS3Url } from '../lib/s3.ts';

export interface PutOptions {
  contentType: string;
  cacheControl: string;
}

export interface ExportTarget {
  describe(): string;
  /** Fails early, with one clear line, when nothing can be written there. */
  check(): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  /** The object's bytes as they arrive (undefined when it does not exist): for what is too big to hold. */
  open(key: string): Promise<AsyncIterable<Buffer> | undefined>;
  /** A FileBody is read from its file (which the caller removes). */
  put(key: string, body: Buffer | string | FileBody, opts: PutOptions): Promise<void>;
  /** Server-side copy (the stable alias of a content-addressed object), with its own headers. */
  copy(fromKey: string, toKey: string, opts: PutOptions): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Keys under a prefix (retention). */
  list(prefix: string): Promise<string[]>;
}

/** The export's target, or (`setting` 'LAKE_TARGET') the lake's. */
export function openTarget(config: Config, setting: 'EXPORT_TARGET' | 'LAKE_TARGET' = 'EXPORT_TARGET'): ExportTarget {
  const target = setting === 'EXPORT_TARGET' ? config.exportTarget : config.lakeTarget;
  if (target === undefined) throw new UserError(`${setting} is not set: set it to file://<folder> or s3://<bucket>/<prefix>`, { exitCode: EXIT.usage });
  if (target.startsWith('file://')) return new FileTarget(target.slice('file://'.length));
  let location;
  try {
    location = parseS3Url(target);
  } catch (cause) {
    throw new UserError(`${setting}: ${messageOf(cause)}`, { exitCode: EXIT.usage, cause });
  }
  return new S3Target(createS3Client(config.s3), location.bucket, location.prefix);
}

export class FileTarget implements ExportTarget {
  constructor(readonly root: string) {}

  describe() {
    return `folder ${this.root}`;
  }

  async check() {
    try {
      fs.mkdirSync(this.root, { recursive: true });
      fs.accessSync(this.root, fs.constants.W_OK);
    } catch (cause) {
      throw new UserError(`export: cannot write to ${this.root}: ${messageOf(cause)}`, { cause });
    }
  }

  private file(key: string): string {
    const file = path.resolve(this.root, key);
    if (!file.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`export key ${key} escapes ${this.root}`);
    return file;
  }

  async open(key: string) {
    const file = this.file(key);
    if (!fs.existsSync(file)) return undefined;
    return fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
  }
  async get(key: string) {
    try {
      return fs.readFileSync(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Atomic: readers see the old file or the new one, never a half-written one. */
  async put(key: string, body: Buffer | string | FileBody) {
    const file = this.file(key);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}`;
      if (typeof body === 'object' && 'file' in body) fs.copyFileSync(body.file, tmp);
      else fs.writeFileSync(tmp, body);
      fs.renameSync(tmp, file);
    } catch (cause) {
      throw new UserError(`export: cannot write ${file}: ${messageOf(cause)}`, { cause });
    }
  }

  async copy(fromKey: string, toKey: string) {
    const to = this.file(toKey);
    try {
      fs.mkdirSync(path.dirname(to), { recursive: true });
      const tmp = `${to}.tmp-${process.pid}`;
      fs.copyFileSync(this.file(fromKey), tmp);
      fs.renameSync(tmp, to);
    } catch (cause) {
      throw new UserError(`export: cannot write ${to}: ${messageOf(cause)}`, { cause });
    }
  }

  async delete(keys: string[]) {
    for (const key of keys) fs.rmSync(this.file(key), { force: true });
  }

  async list(prefix: string) {
    const dir = path.resolve(this.root, prefix);
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[])
      .map((f) => path.join(prefix, f).split(path.sep).join('/'))
      .filter((k) => fs.statSync(this.file(k)).isFile());
  }
}

export class S3Target implements ExportTarget {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  describe() {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async check() {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (cause) {
      throw new UserError(`export: cannot use bucket ${this.bucket}: ${messageOf(cause)}`, { cause });
    }
  }

  private key(key: string) {
    return joinKey(this.prefix, key);
  }

  async open(key: string) {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return res.Body as AsyncIterable<Buffer>;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }
  async get(key: string) {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      // Into one buffer of the announced size: collecting chunks and joining them would hold a
      // manifest of 100,000 objects (some 25 MB) twice.
      if (res.ContentLength === undefined) return Buffer.from(await res.Body!.transformToByteArray());
      const bytes = Buffer.allocUnsafe(res.ContentLength);
      let at = 0;
      for await (const chunk of res.Body as AsyncIterable<Uint8Array>) {
        if (at + chunk.length > bytes.length) throw new Error(`${key}: more bytes than its Content-Length ${bytes.length}`);
        bytes.set(chunk, at);
        at += chunk.length;
      }
      if (at !== bytes.length) throw new Error(`${key}: ${at} of its ${bytes.length} bytes arrived`);
      return bytes;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async put(key: string, body: Buffer | string | FileBody, opts: PutOptions) {
    if (typeof body === 'object' && 'file' in body) {
      // A big body (the manifest, a list of every game) goes up in 5 MB parts, one at a time: each
      // part is a buffer the SDK can retry, and no more than one is in memory.
      const params = { Bucket: this.bucket, Key: this.key(key), Body: fs.createReadStream(body.file), ContentType: opts.contentType, CacheControl: opts.cacheControl };
      await new Upload({ client: this.client, params, queueSize: 1, partSize: 5 * 1024 * 1024 }).done();
      return;
    }
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        Body: body,
        ContentType: opts.contentType,
        CacheControl: opts.cacheControl,
      }),
    );
  }

  async copy(fromKey: string, toKey: string, opts: PutOptions) {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: this.key(toKey),
        CopySource: `${this.bucket}/${this.key(fromKey).split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        ContentType: opts.contentType,
        CacheControl: opts.cacheControl,
      }),
    );
  }

  async list(prefix: string) {
    const objects = await listObjects(this.client, this.bucket, this.key(prefix));
    return objects.map((o) => (this.prefix ? o.key.slice(this.prefix.length + 1) : o.key));
  }

  async delete(keys: string[]) {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((k) => ({ Key: this.key(k) }));
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } }));
    }
  }
}
