// An HTTP proxy on loopback in front of a real server that misbehaves on demand: it answers 500, or
// answers late, for the requests a rule picks; it counts every request it saw.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultRule =
  | { kind: 'pass' }
  /** Answer 500 to matching requests; with `times`, only to the first that many. */
  | { kind: 'error'; method?: string; times?: number }
  /** Hold matching requests this long before passing them on; with `path`, only requests for it, and with `after`, not the first that many. */
  | { kind: 'slow'; method?: string; path?: string; after?: number; delayMs: number };

export interface FaultProxy {
  url: string;
  /** From now on, misbehave this way (counts start again). */
  setRule(rule: FaultRule): void;
  /** Requests seen, as "METHOD /path". */
  seen: string[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  let rule: FaultRule = { kind: 'pass' };
  let faulted = 0;
  const seen: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const matches = rule.kind !== 'pass' && (!rule.method || rule.method === req.method);
    if (matches && rule.kind === 'error' && (rule.times === undefined || faulted < rule.times)) {
      faulted++;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>injected</Message></Error>');
      return;
    }
    const forward = () => {
      // The client gave up while the request was held (its timeout): nothing to pass on.
      if (req.destroyed || res.destroyed) return;
      // No keep-alive upstream: a connection left open would hold the server's close.
      const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    };
    if (matches && rule.kind === 'slow' && (!rule.path || req.url === rule.path) && faulted++ >= (rule.after ?? 0)) {
      const timer = setTimeout(() => (timers.delete(timer), forward()), rule.delayMs);
      timers.add(timer);
    } else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    setRule(next) {
      rule = next;
      faulted = 0;
    },
    close: () =>
      new Promise((r) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
