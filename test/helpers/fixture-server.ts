// A local HTTP server answering with recorded responses, so sources are tested through the crawler.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

export interface Answer {
  status?: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

export interface FixtureServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export const fixture = (rel: string) => fs.readFileSync(path.join(FIXTURES, rel));
export const json = (body: string | Buffer): Answer => ({ type: 'application/json; charset=utf-8', body });
export const html = (body: string | Buffer): Answer => ({ type: 'text/html; charset=utf-8', body });

export async function startFixtureServer(route: (url: URL, req: http.IncomingMessage) => Answer | undefined): Promise<FixtureServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}${url.search}`);
    const answer = url.pathname === '/robots.txt' ? { type: 'text/plain', body: 'User-agent: *\nAllow: /\n' } : route(url, req);
    if (!answer) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(answer.status ?? 200, { 'content-type': answer.type, ...answer.headers }).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
