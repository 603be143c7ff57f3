// `trawl try` through the real CLI, on saved responses and on a URL served locally, and robots.txt
// asked for with trawl's own User-Agent (by `try` and by a crawl).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { runCrawl } from '../../src/crawl/run-crawl.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import steam from '../../src/spiders/steam.ts';
import { FIXTURES, fixture } from '../helpers/fixture-server.ts';
import { runCli } from '../helpers/run-cli.ts';

const UA = 'trawl-test/9 (+https://example.org/bot)';
const servers: http.Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A local site: robots.txt as given, one appdetails answer; every request's path and User-Agent noted. */
async function site(robots: string) {
  const seen: { path: string; ua: string }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', ua: String(req.headers['user-agent']) });
    if (req.url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(robots);
    if (req.url?.startsWith('/api/appdetails')) return void res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(fixture('steam-appdetails/appdetails_priceoverview_multi_cc-tr_USD.json'));
    res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-try-'));
  dirs.push(d);
  return d;
}

describe('trawl try', () => {
  it('runs a route on a saved response: each record with its status, amount in major units and source fields', async () => {
    const file = path.join(FIXTURES, 'playstation-store/graphql_productRetrieve_price_preorder_plus-discount-upsell.json');
    const r = await runCli(['try', 'playstation', file, '--route', 'PRODUCT', '--user-data', '{"locale":"fi-fi"}'], { env: { TRAWL_DATA_DIR: tmp() } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('record playstation:EP2640-PPSA29380_00-0000000000000000:fi');
    expect(r.stdout).toContain('status: preorder');
    expect(r.stdout).toContain('amount: 49.95 EUR');
    expect(r.stdout).toContain('"type":"UPSELL_PS_PLUS_DISCOUNT"');
    expect(r.stdout).toMatch(/1 record\(s\), 0 would be quarantined, 0 request\(s\) would be enqueued\nyield guard: ok/);
  });

  it('defaults to the route of the first start request and prints what it would enqueue', async () => {
    const file = path.join(FIXTURES, 'steam-featuredcategories/featuredcategories_us.json');
    const r = await runCli(['try', 'steam', file], { env: { TRAWL_DATA_DIR: tmp() } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^route FEATURED on https:\/\/store\.steampowered\.com\/api\/featuredcategories\?cc=us/);
    expect(r.stdout).toMatch(/would enqueue APPDETAILS https:\/\/store\.steampowered\.com\/api\/appdetails\?appids=1086940,/);
  });

  it('exits 3 when something would be quarantined, quoting the reason', async () => {
    const file = path.join(tmp(), 'appdetails.json');
    fs.writeFileSync(file, '{"10":{"success":true,"data":{"price_overview":{"currency":"XBT","initial":100,"final":100,"discount_percent":0,"initial_formatted":"","final_formatted":"1 XBT"}}}}');
    const r = await runCli(['try', 'steam', file, '--route', 'APPDETAILS', '--user-data', '{"country":"us"}'], { env: { TRAWL_DATA_DIR: tmp() } });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain('would quarantine steam:app:10:us');
    expect(r.stdout).toContain('reason: unknown currency XBT');
  });

  it('exits 3 when the yield guard would fail the page', async () => {
    const file = path.join(tmp(), 'catalog.json');
    fs.writeFileSync(file, '{"pages":12,"products":[]}');
    const r = await runCli(['try', 'gog', file], { env: { TRAWL_DATA_DIR: tmp() } });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/yield guard: FAILS: route CATALOG yielded nothing/);
  });

  it('fetches a URL once with its User-Agent, robots.txt first, and follows nothing', async () => {
    const s = await site('User-agent: *\nAllow: /\n');
    const r = await runCli(['try', 'steam', `${s.url}/api/appdetails?appids=1245620,1091500,413150&cc=tr&filters=price_overview`, '--route', 'APPDETAILS', '--user-data', '{"country":"tr"}'], {
      env: { TRAWL_DATA_DIR: tmp(), TRAWL_USER_AGENT: UA },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('record steam:app:1091500:tr');
    expect(r.stdout).toContain('amount: 13.49 USD');
    expect(r.stdout).toContain('regular: 44.99 USD');
    expect(s.seen.map((x) => x.path)).toEqual(['/robots.txt', '/api/appdetails?appids=1245620,1091500,413150&cc=tr&filters=price_overview']);
    expect(s.seen.every((x) => x.ua === UA)).toBe(true);
  });

  it('refuses a URL robots.txt disallows for its agent token, with one line', async () => {
    const s = await site('User-agent: trawl-test\nDisallow: /api/\n\nUser-agent: *\nAllow: /\n');
    const r = await runCli(['try', 'steam', `${s.url}/api/appdetails?appids=1&cc=tr`, '--route', 'APPDETAILS'], { env: { TRAWL_DATA_DIR: tmp(), TRAWL_USER_AGENT: UA } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/robots\.txt of http:\/\/127\.0\.0\.1:\d+ disallows/);
    expect(s.seen.map((x) => x.path)).toEqual(['/robots.txt']);
  });

  it('an unknown route is a usage error naming the routes', async () => {
    const r = await runCli(['try', 'steam', path.join(FIXTURES, 'steam-featuredcategories/featuredcategories_us.json'), '--route', 'NOPE'], { env: { TRAWL_DATA_DIR: tmp() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('its routes: FEATURED, APPDETAILS, APPDETAILS_FULL');
  });
});

describe('robots.txt in a crawl', () => {
  it('is fetched with TRAWL_USER_AGENT and obeyed for its token: disallowed requests are skipped and counted', async () => {
    const s = await site('User-agent: trawl-test\nDisallow: /api/appdetails\n');
    const dir = tmp();
    const config = loadConfig({ TRAWL_DATA_DIR: dir, TRAWL_USER_AGENT: UA }, dir);
    const r = await runCrawl({ spider: steam, config, log: silentLogger, clock: fixedClock(new Date('2026-03-01T06:00:00Z')), baseUrl: s.url, scope: { countries: ['tr'], featured: [], app_ids: [1] } });
    expect(s.seen).toEqual([{ path: '/robots.txt', ua: UA }]);
    expect(r).toMatchObject({ robotsSkipped: 1, pages: 0 });
  });
});
