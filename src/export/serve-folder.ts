// `trawl serve`: the export folder over HTTP on loopback, with the headers the bucket would send.
// Never serves a file outside the folder.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { contentTypeOf, isContentAddressed } from './object-path.ts';

export interface FolderServer {
  url: string;
  close(): Promise<void>;
}

/** Resolves a request path inside root, or undefined when it would leave it. */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = path.resolve(root);
  const file = path.resolve(base, `.${path.posix.normalize(`/${decoded}`)}`);
  if (file !== base && !file.startsWith(base + path.sep)) return undefined;
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return file; // does not exist: a 404, but inside
  }
  const realBase = fs.realpathSync(base);
  return real === realBase || real.startsWith(realBase + path.sep) ? real : undefined;
}

export async function serveFolder(root: string, opts: { port: number; host?: string; cacheMaxAge: number }): Promise<FolderServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = resolveInside(root, url.pathname);
    if (file && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const immutable = isContentAddressed(file) || file.includes(`${path.sep}manifests${path.sep}`);
    res.writeHead(200, {
      'content-type': contentTypeOf(file),
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : `public, max-age=${opts.cacheMaxAge}`,
      'x-content-type-options': 'nosniff',
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
