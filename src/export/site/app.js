// The public page: current deals with search and sort, and a game's price history per store.
// Reads only the static JSON next to it; no third-party code.
'use strict';

const state = { deals: [], exponents: {} };

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function money(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  const exp = state.exponents[currency] ?? 2;
  return `${(amount / 10 ** exp).toFixed(exp)} ${currency}`;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function renderDeals() {
  const q = document.getElementById('search').value.trim().toLowerCase();
  const sort = document.getElementById('sort').value;
  const rows = state.deals.filter((d) => d.title.toLowerCase().includes(q));
  rows.sort((a, b) =>
    sort === 'price' ? a.amount - b.amount || a.title.localeCompare(b.title)
      : sort === 'title' ? a.title.localeCompare(b.title) || a.region.localeCompare(b.region)
      : b.discount_pct - a.discount_pct || a.title.localeCompare(b.title));
  const body = document.querySelector('#deals tbody');
  body.replaceChildren(...rows.map((d) => el('tr', { 'data-game': d.game_id },
    el('td', {}, el('a', { href: `#game=${d.game_id}` }, d.title)),
    el('td', {}, d.store_id),
    el('td', {}, d.region),
    el('td', { class: 'num price' }, money(d.amount, d.currency)),
    el('td', { class: 'num' }, money(d.regular_amount, d.currency)),
    el('td', { class: 'num' }, `${d.discount_pct}%`))));
  document.getElementById('deals-count').textContent = `${rows.length} of ${state.deals.length} deals`;
}

/** One line chart per store, region and currency: a point per price, labelled with its amount. */
function chart(series) {
  const W = 640, H = 180, P = 36;
  const priced = series.rows.filter((r) => r.amount !== null);
  const times = series.rows.map((r) => Date.parse(r.valid_from));
  const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 1);
  const amounts = priced.map((r) => r.amount);
  const a0 = Math.min(...amounts, 0), a1 = Math.max(...amounts, 1);
  const x = (t) => P + ((t - t0) / (t1 - t0)) * (W - 2 * P);
  const y = (a) => H - P - ((a - a0) / (a1 - a0)) * (H - 2 * P);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', priced.map((r) => `${x(Date.parse(r.valid_from))},${y(r.amount)}`).join(' '));
  svg.append(line);
  for (const r of priced) {
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', x(Date.parse(r.valid_from)));
    c.setAttribute('cy', y(r.amount));
    c.setAttribute('r', 4);
    c.setAttribute('class', 'point');
    c.setAttribute('data-amount', r.amount);
    const label = document.createElementNS(ns, 'text');
    const px = x(Date.parse(r.valid_from));
    const nearRight = px > W - 90;
    label.setAttribute('x', nearRight ? px - 6 : px + 5);
    if (nearRight) label.setAttribute('text-anchor', 'end');
    label.setAttribute('y', y(r.amount) - 6);
    label.setAttribute('class', 'label');
    label.textContent = money(r.amount, series.currency);
    svg.append(c, label);
  }
  const figure = el('div', { class: 'chart', 'data-series': series.id });
  figure.append(el('h3', {}, `${series.store} · ${series.region} · ${series.currency}` + (series.status ? ` (now ${series.status})` : '')), svg);
  return figure;
}

async function showGame(id) {
  document.getElementById('deals-view').hidden = true;
  document.getElementById('game-view').hidden = false;
  const doc = await getJson(`v1/games/${encodeURIComponent(id)}.json`);
  document.getElementById('game-title').textContent = doc.data[0] ? doc.data[0].title : id;
  const groups = new Map();
  for (const r of doc.data) {
    const k = `${r.store_id}:${r.region}:${r.currency}:${r.source}`;
    if (!groups.has(k)) groups.set(k, { id: k, store: r.store_id, region: r.region, currency: r.currency, rows: [] });
    groups.get(k).rows.push(r);
  }
  for (const g of groups.values()) g.status = g.rows[g.rows.length - 1].status;
  document.getElementById('charts').replaceChildren(...[...groups.values()].map(chart));
}

function route() {
  const m = /^#game=([A-Za-z0-9_.-]+)$/.exec(location.hash);
  if (m) return showGame(m[1]).catch(showError);
  document.getElementById('deals-view').hidden = false;
  document.getElementById('game-view').hidden = true;
}

function showError(err) {
  document.getElementById('generation').textContent = `Could not load data: ${err.message}`;
}

async function main() {
  const [manifest, deals, currencies] = await Promise.all([getJson('v1/manifest.json'), getJson('v1/deals.json'), getJson('v1/currencies.json')]);
  for (const c of currencies.data) state.exponents[c.code] = c.exponent;
  state.deals = deals.data;
  document.getElementById('generation').textContent = `Data generated ${manifest.generated_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (generation ${manifest.generation})`;
  document.getElementById('search').addEventListener('input', renderDeals);
  document.getElementById('sort').addEventListener('change', renderDeals);
  renderDeals();
  window.addEventListener('hashchange', route);
  await route();
  document.body.setAttribute('data-ready', 'true');
}

main().catch(showError);
