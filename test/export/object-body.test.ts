// Object bodies and manifests are built piece by piece, on disk past a size: the bytes must be the
// ones a whole-in-memory build gives, since equal bytes are what keeps an object from re-uploading.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManifestWriter, readManifest, scanManifest, type ManifestFile } from '../../src/export/manifest.ts';
import { ObjectBody } from '../../src/export/object-body.ts';
import { FileTarget, type ExportTarget } from '../../src/export/targets.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-object-body-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const sha = (s: string) => crypto.hash('sha256', s, 'hex');

function expected(rows: object[], updatedAt: string) {
  const data = `[${rows.map((r) => JSON.stringify(r)).join(',')}]`;
  return { data, body: `{"updated_at":${JSON.stringify(updatedAt)},"count":${rows.length},"data":${data}}\n` };
}

describe('object bodies', () => {
  it.each([
    ['kept in memory', 3],
    ['spilled to a file', 30_000],
  ])('%s, give the bytes and hashes of a whole build', (_, n) => {
    const rows = Array.from({ length: n }, (_, i) => ({ game_id: `g${i}`, title: `Gäme ${i} — ${'x'.repeat(i % 50)}`, amount: i }));
    const object = new ObjectBody(tmp, `body-${n}`);
    for (const r of rows) object.add(JSON.stringify(r));
    let seenSha: string | undefined;
    const done = object.finish((dataSha) => {
      seenSha = dataSha;
      return '2026-01-02T00:00:00.000Z';
    });
    const want = expected(rows, '2026-01-02T00:00:00.000Z');
    const bytes = typeof done.body === 'string' ? done.body : fs.readFileSync(done.body.file, 'utf8');
    expect(typeof done.body === 'string').toBe(n === 3);
    expect(bytes).toBe(want.body);
    expect(done).toMatchObject({ size: Buffer.byteLength(want.body), sha256: sha(want.body), dataSha256: sha(want.data), count: n });
    expect(seenSha).toBe(sha(want.data));
    // Nothing is left behind but the finished body.
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith(`body-${n}`))).toEqual(typeof done.body === 'string' ? [] : [`body-${n}.body`]);
  });

  it('an empty object is an empty list', () => {
    const done = new ObjectBody(tmp, 'empty').finish(() => 'T');
    expect(done.body).toBe('{"updated_at":"T","count":0,"data":[]}\n');
  });

  it('a discarded body leaves no file', () => {
    const object = new ObjectBody(tmp, 'discarded');
    for (let i = 0; i < 30_000; i++) object.add(JSON.stringify({ i, pad: 'y'.repeat(40) }));
    object.discard();
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('discarded'))).toEqual([]);
  });
});

describe('manifests', () => {
  it('are written entry by entry and read back with what the next export compares', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'manifest-'));
    const writer = new ManifestWriter(dir);
    const entry = (i: number): ManifestFile => ({ key: `v1/games/g${i}.${String(i).padStart(16, '0')}.json`, size: i, sha256: sha(`b${i}`), data_sha256: sha(`d${i}`), count: 1, updated_at: `2026-01-0${1 + (i % 5)}T00:00:00.000Z` });
    for (let i = 0; i < 2500; i++) writer.add(`v1/games/g${i}.json`, entry(i));
    expect(writer.has('v1/games/g42.json')).toBe(true);
    expect(writer.has('v1/games/g2500.json')).toBe(false);
    const header = { generation: 'G1', generated_at: '2026-01-05T00:00:00.000Z', watermark: 7, changes_since: 3, versions: 9, changes_since_versions: 4, assets: { 'index.html': sha('page') } };
    const file = writer.finish(header);

    const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(Object.keys(parsed.files)).toHaveLength(2500);
    expect(parsed.files['v1/games/g7.json']).toEqual(entry(7));
    expect({ ...parsed, files: undefined }).toEqual({ ...header, files: undefined });

    const target: ExportTarget = new FileTarget(path.join(dir, 'public'));
    await target.put('v1/manifest.json', { file }, { contentType: 'application/json', cacheControl: 'no-cache' });
    const read = (await readManifest(target))!;
    expect(read.header).toEqual(header);
    expect(read.files.size).toBe(2500);
    const e = entry(1234);
    expect(read.files.get('v1/games/g1234.json')).toEqual({ key: e.key, data_sha256: e.data_sha256, updated_at: e.updated_at });
  });

  it('reads manifests laid out otherwise (older, indented, no files) the same way', async () => {
    const target: ExportTarget = new FileTarget(fs.mkdtempSync(path.join(tmp, 'layouts-')));
    const files = Object.fromEntries(
      // Some 3 MB: read in several chunks, entries cut across their edges.
      Array.from({ length: 12_000 }, (_, i) => [`v1/games/g{${i}}"é.json`, { key: `v1/games/g${i}.abc.json`, size: i, sha256: sha(`b${i}`), data_sha256: sha(`d${i}`), count: 2, updated_at: 'T' }]),
    );
    const header = { generation: 'G0', generated_at: 'T', watermark: 1, changes_since: 0, assets: { 'app.js': sha('js') } };
    const layouts = {
      'files last': JSON.stringify({ ...header, files }),
      'files before assets': JSON.stringify({ generation: 'G0', generated_at: 'T', watermark: 1, changes_since: 0, files, assets: header.assets }),
      indented: JSON.stringify({ ...header, files }, null, 2),
    };
    // trawl's own layouts are read a megabyte at a time; anything else is parsed whole.
    const chunked = async function* (body: string) {
      // Small chunks, as a socket delivers them, cut entries and characters anywhere.
      const bytes = Buffer.from(body);
      for (let at = 0; at < bytes.length; at += 16_381) yield bytes.subarray(at, at + 16_381);
    };
    const scanned = await Promise.all(Object.values(layouts).map(async (body) => (await scanManifest(chunked(body))) !== undefined));
    expect(Object.keys(layouts).map((layout, i) => [layout, scanned[i]])).toEqual([
      ['files last', true],
      ['files before assets', true],
      ['indented', false],
    ]);
    for (const [layout, body] of Object.entries(layouts)) {
      await target.put('v1/manifest.json', body, { contentType: 'application/json', cacheControl: 'no-cache' });
      const read = (await readManifest(target))!;
      expect(read.header, layout).toEqual(header);
      expect(new Map(read.files.entries()), layout).toEqual(new Map(Object.entries(files).map(([p, f]) => [p, { key: f.key, data_sha256: f.data_sha256, updated_at: f.updated_at }])));
    }
    await target.put('v1/manifest.json', JSON.stringify({ ...header, files: {} }), { contentType: 'application/json', cacheControl: 'no-cache' });
    const empty = (await readManifest(target))!;
    expect([empty.header, empty.files.size]).toEqual([header, 0]);
  });

  it('refuses a manifest that is not JSON, or not a trawl manifest, with a clear error', async () => {
    const target: ExportTarget = new FileTarget(fs.mkdtempSync(path.join(tmp, 'bad-')));
    await target.put('v1/manifest.json', '{"files":', { contentType: 'application/json', cacheControl: 'no-cache' });
    await expect(readManifest(target)).rejects.toThrow(/v1\/manifest.json is not valid JSON/);
    await target.put('v1/manifest.json', '{"files":{}}', { contentType: 'application/json', cacheControl: 'no-cache' });
    await expect(readManifest(target)).rejects.toThrow(/not a trawl manifest/);
  });
});
