// `trawl try <spider> <url|file>`: one route on one page, fetched once (robots.txt respected) or read
// from a saved response, following nothing and writing nothing: what the route would emit, enqueue
// and quarantine, for an author writing a parser and for an operator checking a changed page.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { EXIT, UserError } from '../lib/errors.ts';
import { formatAmount } from '../lib/money.ts';
import type { Logger } from '../lib/logger.ts';
import { DEFAULT_POLITENESS, resolveScope, type SpiderDefinition } from '../spiders/index.ts';
import { robotsPolicy } from './robots.ts';
import { type RouteOutput, runRoute } from './run-route.ts';

export interface TryOptions {
  spider: SpiderDefinition;
  /** An http(s) URL to fetch, or the path of a saved response body. */
  target: string;
  route?: string;
  userData?: Record<string, unknown>;
  config: Config;
  log: Logger;
}

export interface TryResult extends RouteOutput {
  route: string;
  url: string;
  loadedUrl: string;
  status: number | undefined;
}

export async function tryRoute(opts: TryOptions): Promise<TryResult> {
  const { spider, config, log } = opts;
  const scope = resolveScope(spider, config);
  const starts = spider.start({ baseUrl: spider.baseUrl, scope });
  const label = opts.route ?? starts[0]?.label;
  if (!label || !spider.routes[label]) {
    throw new UserError(`spider ${spider.name} has no route ${label ?? '(none)'}; its routes: ${Object.keys(spider.routes).join(', ')}`, { exitCode: EXIT.usage });
  }
  const route = spider.routes[label]!;
  // A start request of this route gives its usual userData (country, locale) and, for a file, the URL it stands for.
  const start = starts.find((s) => s.label === label);
  const userData = { ...start?.userData, ...opts.userData };
  const isUrl = /^https?:\/\//i.test(opts.target);
  let url: string;
  let loadedUrl: string;
  let body: string;
  let status: number | undefined;
  let headers: Record<string, string> = {};
  if (isUrl) {
    url = opts.target;
    const politeness = { ...DEFAULT_POLITENESS, ...spider.politeness };
    const verdict = politeness.respectRobotsTxt ? await robotsPolicy({ userAgent: config.userAgent, timeoutMs: politeness.requestTimeoutSecs * 1000 }).verdict(url) : 'allowed';
    if (verdict === 'disallowed') throw new UserError(`robots.txt of ${new URL(url).origin} disallows ${url} for ${config.userAgent}`);
    if (verdict === 'unreachable') throw new UserError(`robots.txt of ${new URL(url).origin} could not be fetched: nothing is requested from it`);
    const res = await fetch(url, { headers: { 'user-agent': config.userAgent }, redirect: 'follow', signal: AbortSignal.timeout(politeness.requestTimeoutSecs * 1000) });
    status = res.status;
    loadedUrl = res.url || url;
    headers = Object.fromEntries([...res.headers.entries()].map(([k, v]) => [k.toLowerCase(), v]));
    const tooLarge = (n: number) => new UserError(`${url}: the body has ${n} bytes, over the limit of ${politeness.maxBodyBytes}`);
    // A declared length over the limit is refused before the body is buffered; a lying one is caught after.
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > politeness.maxBodyBytes) {
      await res.body?.cancel();
      throw tooLarge(declared);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > politeness.maxBodyBytes) throw tooLarge(bytes.length);
    body = bytes.toString('utf8');
    if (!res.ok) throw new UserError(`${url} answered ${res.status}: a route reads only successful answers`);
  } else {
    const file = path.resolve(opts.target);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UserError(`no such file: ${opts.target} (give an http(s) URL or a saved response file)`, { exitCode: EXIT.usage });
    body = fs.readFileSync(file, 'utf8');
    url = start?.url ?? spider.baseUrl;
    loadedUrl = url;
  }
  // A browser route that captures its page's data calls takes a saved file as that captured answer.
  const captured = route.capture && !isUrl ? [{ url, body }] : [];
  const out = await runRoute(
    spider,
    { url, loadedUrl, label, userData, body, headers, captured },
    { kind: route.kind ?? spider.kind, baseUrl: spider.baseUrl, scope, at: config.fixedNow ?? new Date(), log, enqueue: async (r) => r },
  );
  return { ...out, route: label, url, loadedUrl, status };
}

const money = (amount: unknown, currency: unknown) => (typeof amount === 'number' && typeof currency === 'string' ? `${formatAmount(amount, currency)} ${currency}` : '-');

/** What `trawl try` prints: each record (validated, amounts in major units), each quarantine reason, each request. */
export function formatTryResult(r: TryResult): string {
  const valid = r.lines.filter((l) => !l.invalid);
  const invalid = r.lines.filter((l) => l.invalid);
  const out = [`route ${r.route} on ${r.url}${r.loadedUrl !== r.url ? ` (after redirects: ${r.loadedUrl})` : ''}${r.status ? `, HTTP ${r.status}` : ''}`, ''];
  for (const l of valid) {
    const d = l.data ?? {};
    out.push(`record ${l.key}`, `  title: ${String(d.title ?? '')}`, `  status: ${String(d.status ?? '-')}`, `  amount: ${money(d.amount, d.currency)}`, `  regular: ${money(d.regular_amount, d.currency)}`);
    out.push(`  url: ${String(d.url ?? '-')}`, `  source fields: ${JSON.stringify(l.source_fields)}`);
  }
  for (const l of invalid) out.push(`would quarantine ${l.key ?? '(no key)'}`, `  reason: ${l.invalid}`, `  source fields: ${JSON.stringify(l.source_fields)}`);
  for (const q of r.enqueued) out.push(`would enqueue ${q.label} ${q.url}`);
  out.push('', `${valid.length} record(s), ${invalid.length} would be quarantined, ${r.enqueued.length} request(s) would be enqueued`);
  out.push(r.yieldError ? `yield guard: FAILS: ${r.yieldError.message}` : `yield guard: ok${r.noResults ? ` (no results: ${r.noResults})` : ''}`);
  return `${out.join('\n')}\n`;
}
