// RAW_ARCHIVE: every finished raw file also goes to an object store, gzipped, under its raw path.
import fs from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Client, downloadObject, type S3Settings, joinKey, listObjects, parseS3Url } from '../lib/s3.ts';
import { listRawFiles } from './list-raw-files.ts';
import { pathUnder } from '../lib/safe-path.ts';

/** What the archive reads of the configuration. */
export interface RawArchiveSettings {
  rawDir: string;
  rawArchive: string | undefined;
  s3: S3Settings;
}

/** The archive's key for a raw file: its path relative to the raw folder, gzipped. */
function archiveKey(prefix: string, rel: string): string {
  return joinKey(prefix, `${rel}.gz`);
}

/** A raw file's path relative to the raw folder, with forward slashes. */
function relPath(config: RawArchiveSettings, file: string): string {
  return path.relative(config.rawDir, file).split(path.sep).join('/');
}

/** Streams one finished raw file up, gzipped (multipart when large); returns its s3:// URL. */
export async function archiveRawFile(config: RawArchiveSettings, file: string, s3: S3Client = createS3Client(config.s3)): Promise<string> {
  if (!config.rawArchive) throw new Error('RAW_ARCHIVE is not set');
  const { bucket, prefix } = parseS3Url(config.rawArchive);
  const key = archiveKey(prefix, relPath(config, file));
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file).pipe(createGzip()), ContentType: 'application/x-ndjson' },
  });
  await upload.done();
  return `s3://${bucket}/${key}`;
}

/** Relative raw paths (<source>/<date>/<run>.jsonl) the archive holds: one listing. */
export async function archivedPaths(config: RawArchiveSettings, s3: S3Client = createS3Client(config.s3)): Promise<Set<string>> {
  const { bucket, prefix } = parseS3Url(config.rawArchive!);
  const objects = await listObjects(s3, bucket, prefix && `${prefix}/`);
  return new Set(objects.filter((o) => o.key.endsWith('.jsonl.gz')).map((o) => o.key.slice(prefix ? prefix.length + 1 : 0, -'.gz'.length)));
}

/** Uploads every finished local raw file the archive lacks (an upload that failed after its crawl). */
export async function archiveMissing(config: RawArchiveSettings): Promise<string[]> {
  const s3 = createS3Client(config.s3);
  const have = await archivedPaths(config, s3);
  const uploaded: string[] = [];
  for (const file of listRawFiles(config.rawDir)) {
    const rel = relPath(config, file);
    if (have.has(rel)) continue;
    await archiveRawFile(config, file, s3);
    uploaded.push(rel);
  }
  return uploaded;
}

/** Raw files live at <source>/<YYYY-MM-DD>/<run id>.jsonl: an archive key of another shape is not one. */
const RAW_FILE_PATH = /^[a-z0-9_]+\/\d{4}-\d{2}-\d{2}\/[A-Za-z0-9._-]+\.jsonl$/;

/**
 * Downloads every archived raw file missing from the local raw folder (a lost disk). A key that is not
 * a raw file's path, or that could leave the raw folder (`..`, absolute, NUL), is refused, not joined.
 */
export async function restoreMissing(config: RawArchiveSettings): Promise<{ restored: string[]; refused: string[] }> {
  const { bucket, prefix } = parseS3Url(config.rawArchive!);
  const s3 = createS3Client(config.s3);
  const restored: string[] = [];
  const refused: string[] = [];
  for (const rel of [...(await archivedPaths(config, s3))].sort()) {
    const local = RAW_FILE_PATH.test(rel) ? pathUnder(config.rawDir, rel) : undefined;
    if (!local) {
      refused.push(rel);
      continue;
    }
    if (fs.existsSync(local)) continue;
    fs.mkdirSync(path.dirname(local), { recursive: true });
    // Under a temporary name: ingest never sees a half-downloaded file.
    await downloadObject(s3, bucket, archiveKey(prefix, rel), `${local}.part`);
    fs.renameSync(`${local}.part`, local);
    restored.push(rel);
  }
  return { restored, refused };
}
