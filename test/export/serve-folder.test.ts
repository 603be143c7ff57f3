import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder, type FolderServer } from '../../src/export/serve-folder.ts';

let root: string;
let server: FolderServer;

beforeAll(async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-serve-'));
  root = path.join(parent, 'public');
  fs.mkdirSync(path.join(root, 'v1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'v1', 'deals.json'), '{"count":0}');
  fs.writeFileSync(path.join(root, 'v1', 'deals.0123456789abcdef.json'), '{"count":0}');
  server = await serveFolder(root, { port: 0, cacheMaxAge: 60 });
});

afterAll(() => server.close());

/** A raw request, so the path reaches the server exactly as written (no client normalisation). */
function get(rawPath: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    http
      .request({ host: url.hostname, port: url.port, path: rawPath }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .on('error', reject)
      .end();
  });
}

describe('trawl serve', () => {
  it('serves exported objects with the bucket headers', async () => {
    const stable = await get('/v1/deals.json');
    expect(stable).toMatchObject({ status: 200, body: '{"count":0}' });
    expect(stable.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(stable.headers['cache-control']).toBe('public, max-age=60');
    expect((await get('/v1/deals.0123456789abcdef.json')).headers['cache-control']).toContain('immutable');
  });
});
