// The demo store: a tiny web shop on loopback that trawl crawls without the internet.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAmount } from '../../lib/money.ts';
import { DEMO_REGIONS, scaledCatalogue, type DemoOffer, type DemoProduct } from './demo-catalogue.ts';

export const DEMO_PAGE_SIZE = 5;

export interface DemoServer {
  baseUrl: string;
  setDay(day: number): void;
  /** Requests served per path, to show what a crawler fetched (robots.txt included). */
  hits: Map<string, number>;
  /** Every request (path and query) with its time, in order: what a resumed crawl fetched again. */
  requests: { url: string; at: number }[];
  close(): Promise<void>;
}

/** `extraProducts` scales the shop up for big crawls; `js: false` renders every page on the server. */
export async function startDemoServer(opts: { day: number; port?: number; extraProducts?: number; js?: boolean }): Promise<DemoServer> {
  // Built once per day: a scaled shop answers thousands of requests from it.
  const build = (d: number) => {
    const list = scaledCatalogue(d, opts.extraProducts ?? 0, opts.js ?? true);
    return { list, byId: new Map(list.map((p) => [p.id, p])) };
  };
  let catalogue = build(opts.day);
  const hits = new Map<string, number>();
  const requests: { url: string; at: number }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    requests.push({ url: url.pathname + url.search, at: Date.now() });
    const page = route(url, catalogue.list, catalogue.byId);
    res.writeHead(page.status, { 'content-type': page.type, 'cache-control': 'no-store' });
    res.end(page.body);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    setDay: (d) => {
      catalogue = build(d);
    },
    hits,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Page {
  status: number;
  type: string;
  body: string;
}

function route(url: URL, catalogue: DemoProduct[], byId: Map<string, DemoProduct>): Page {
  if (url.pathname === '/robots.txt') {
    return { status: 200, type: 'text/plain', body: 'User-agent: *\nDisallow: /admin/\n' };
  }
  if (url.pathname === '/' || url.pathname === '/products') {
    return listPage(catalogue, Number(url.searchParams.get('page') ?? '1'));
  }
  const product = /^\/product\/(p\d+)$/.exec(url.pathname);
  if (product) {
    const p = byId.get(product[1]!);
    if (p) return html(p.title, p.js ? jsProductBody(p) : productBody(p));
  }
  if (url.pathname.startsWith('/admin/')) {
    // Disallowed by robots.txt: a polite crawler never sees this "product".
    return html('Staff only', `<h1 class="title">Staff only</h1><div class="offer" data-region="us"><span class="price">$0.01</span></div>`);
  }
  return { status: 404, type: 'text/html; charset=utf-8', body: '<h1>Not found</h1>' };
}

function listPage(catalogue: DemoProduct[], page: number): Page {
  const pages = Math.max(1, Math.ceil(catalogue.length / DEMO_PAGE_SIZE));
  if (!Number.isInteger(page) || page < 1 || page > pages) return { status: 404, type: 'text/html', body: 'no such page' };
  const items = catalogue.slice((page - 1) * DEMO_PAGE_SIZE, page * DEMO_PAGE_SIZE);
  const links = items.map((p) => `<li><a class="product" href="/product/${p.id}">${escapeHtml(p.title)}</a></li>`).join('\n');
  const next = page < pages ? `<a rel="next" href="/products?page=${page + 1}">Next</a>` : '';
  const staff = page === 1 ? '<li><a class="product" href="/admin/picks">Staff picks</a></li>' : '';
  return html(`Products, page ${page}`, `<h1>Demo store</h1>\n<ul class="products">\n${links}\n${staff}\n</ul>\n<nav>${next}</nav>`);
}

export function displayPrice(o: DemoOffer, currency: string): { price: string; regular: string | null } {
  if (o.free) return { price: 'Free', regular: null };
  if (o.amount === null) return { price: 'Not available', regular: null };
  const fmt = (a: number) => (currency === 'USD' ? `$${formatAmount(a, currency)}` : `${formatAmount(a, currency).replace('.', ',')} €`);
  return { price: fmt(o.amount), regular: o.regular === null ? null : fmt(o.regular) };
}

function offersHtml(p: DemoProduct): string {
  return (Object.keys(DEMO_REGIONS) as (keyof typeof DEMO_REGIONS)[])
    .map((region) => {
      const { price, regular } = displayPrice(p.offers[region], DEMO_REGIONS[region]);
      const was = regular ? ` <s class="regular">${regular}</s>` : '';
      return `<div class="offer" data-region="${region}"><span class="price">${price}</span>${was}</div>`;
    })
    .join('\n');
}

function productBody(p: DemoProduct): string {
  return `<h1 class="title">${escapeHtml(p.title)}</h1>\n<div id="offers">${offersHtml(p)}</div>\n<p class="reviews">${p.reviews} reviews</p>`;
}

/** The same markup, built in the browser from embedded data: an HTML parser alone finds no price. */
function jsProductBody(p: DemoProduct): string {
  const data = JSON.stringify(offersHtml(p)).replace(/</g, '\\u003c');
  return `<h1 class="title">${escapeHtml(p.title)}</h1>
<div id="offers" data-render="js">Loading prices…</div>
<p class="reviews">${p.reviews} reviews</p>
<script>setTimeout(function () { document.getElementById('offers').innerHTML = ${data}; }, 50);</script>`;
}

function html(title: string, body: string): Page {
  return {
    status: 200,
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>\n${body}\n</body></html>`,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
