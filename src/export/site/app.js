// The public page: the biggest discounts, every game A to Z, a search over every game, and a game's
// page (its price now at each store, its lows, a step chart of its history). It reads only the static
// files beside it, a few small objects at a time, so it stays fast however many games there are:
//   first screen: v1/status.json, v1/currencies.json, v1/deals/top.json, v1/catalog/index.json;
//   a search:     v1/search/index.json (once), then the shards of the query's rarest word, a few at a
//                 time, until enough games match;
//   a game:       v1/games/<id>.json.
// Scraped text only ever goes into the page as text (textContent), never as HTML.
'use strict';

const state = { exponents: {}, generatedAt: null, catalog: [], searchIndex: null, search: null, charts: [] };

class LoadError extends Error {}

async function getJson(path) {
  let res;
  try {
    res = await fetch(path, { cache: 'no-cache' });
  } catch (err) {
    throw new LoadError(`Could not load ${path} (${err.message}). Check the connection and reload.`);
  }
  if (!res.ok) throw new LoadError(`Could not load ${path}: HTTP ${res.status}. The data may be being updated; reload in a minute.`);
  try {
    return await res.json();
  } catch {
    throw new LoadError(`${path} is not valid JSON. The data may be being updated; reload in a minute.`);
  }
}

function showError(err) {
  const box = document.getElementById('error');
  box.textContent = err instanceof LoadError ? err.message : `Something went wrong: ${err.message}`;
  box.hidden = false;
  document.body.setAttribute('data-ready', 'true');
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

// ---- numbers, dates and text ------------------------------------------------------------------

const formats = new Map();
/** A currency formatter in the reader's locale with the currency's own minor units. */
function currencyFormat(currency) {
  if (!formats.has(currency)) {
    const exp = state.exponents[currency] ?? 2;
    let f;
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp });
    } catch {
      f = { format: (n) => `${n.toFixed(exp)} ${currency}` };
    }
    formats.set(currency, f);
  }
  return formats.get(currency);
}

const major = (amount, currency) => amount / 10 ** (state.exponents[currency] ?? 2);

function money(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  return currencyFormat(currency).format(major(amount, currency));
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const day = (iso) => dateFormat.format(new Date(iso));

/** The same normalisation as the search index (sql/marts/140_search_tokens.sql). */
function tokens(text) {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    // eslint-disable-next-line no-control-regex -- the index splits at every ASCII non-alphanumeric, controls included
    .split(/[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\s]+/)
    .filter((t) => t !== '');
}

const gameLink = (id, title) => el('a', { href: `#game=${encodeURIComponent(id)}` }, title);

/** Only web links: a scraped url must not become javascript: or data:. */
function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

// ---- views --------------------------------------------------------------------------------------

function show(view) {
  for (const id of ['deals-view', 'browse-view', 'game-view']) document.getElementById(id).hidden = id !== view;
  if (view !== 'browse-view') for (const a of document.querySelectorAll('#letters a')) a.removeAttribute('aria-current');
}

function renderDeals(deals) {
  const body = document.querySelector('#deals tbody');
  body.replaceChildren(...deals.data.map((d) => el('tr', { 'data-game': d.game_id },
    el('td', {}, gameLink(d.game_id, d.title)),
    el('td', { 'data-label': 'Store' }, d.store_id),
    el('td', { 'data-label': 'Region' }, d.region),
    el('td', { class: 'num price', 'data-label': 'Price' }, money(d.amount, d.currency)),
    el('td', { class: 'num', 'data-label': 'Regular' }, money(d.regular_amount, d.currency)),
    el('td', { class: 'num', 'data-label': 'Discount' }, `−${d.discount_pct}%`))));
  document.getElementById('deals-count').textContent = deals.count === 0 ? 'No discounts right now.' : `The ${deals.count} biggest discounts. Search or browse for every game.`;
}

function renderLetters() {
  const firstPage = new Map();
  for (const p of state.catalog) if (!firstPage.has(p.letter)) firstPage.set(p.letter, p.page);
  document.getElementById('letters').replaceChildren(...[...firstPage].map(([letter, page]) =>
    el('a', { href: `#browse=${page}`, 'data-letter': letter }, letter === 'other' ? '#' : letter.toUpperCase())));
}

async function showBrowse(pageId) {
  show('browse-view');
  const page = state.catalog.find((p) => p.page === pageId) ?? state.catalog[0];
  if (!page) {
    document.getElementById('catalog').replaceChildren(el('li', {}, 'No games yet.'));
    return;
  }
  for (const a of document.querySelectorAll('#letters a')) a.toggleAttribute('aria-current', a.dataset.letter === page.letter);
  const siblings = state.catalog.filter((p) => p.letter === page.letter);
  document.getElementById('pages').replaceChildren(...(siblings.length < 2 ? [] : siblings.map((p) =>
    el('a', { href: `#browse=${p.page}`, ...(p.page === page.page ? { 'aria-current': 'page' } : {}) }, `${p.first} – ${p.last}`))));
  const doc = await getJson(`v1/catalog/${encodeURIComponent(page.page)}.json`);
  document.getElementById('catalog').replaceChildren(...doc.data.map((g) => el('li', { 'data-game': g.game_id },
    gameLink(g.game_id, g.title),
    el('span', { class: 'meta' }, `${g.stores} ${g.stores === 1 ? 'store' : 'stores'}${g.on_sale ? ' · on sale' : ''}`))));
}

// ---- search ------------------------------------------------------------------------------------

/** Shards whose word range can hold words starting with `t`. */
const shardsFor = (t) => state.searchIndex.data.filter((s) => s.last >= t && s.first < `${t}\uffff`);
/** Matches a search shows at once; a word in very many titles is read a few shards at a time. */
const ENOUGH_RESULTS = 50;
const SHARDS_AT_ONCE = 4;

function startSearch(query) {
  const words = tokens(query);
  const view = document.getElementById('search-view');
  const status = document.getElementById('search-status');
  view.hidden = query.trim() === '';
  if (view.hidden) return;
  const usable = words.filter((w) => w.length >= 2);
  if (usable.length === 0) {
    status.textContent = 'Type at least two letters of a word.';
    document.getElementById('results').replaceChildren();
    document.getElementById('more-results').hidden = true;
    return;
  }
  // The rarest word (the fewest words in its shards) decides which shards to read; the others filter.
  const size = (shards) => shards.reduce((n, s) => n + s.count, 0);
  const ranked = usable.map((w) => ({ w, shards: shardsFor(w) })).sort((a, b) => size(a.shards) - size(b.shards) || b.w.length - a.w.length);
  state.search = { query, words, key: ranked[0].w, shards: ranked[0].shards, next: 0, found: new Map() };
  document.getElementById('results').replaceChildren();
  return searchMore();
}

/** Reads the next shards of the search's word until enough games match, or a few shards are read. */
async function searchMore() {
  const s = state.search;
  const status = document.getElementById('search-status');
  const more = document.getElementById('more-results');
  const list = document.getElementById('results');
  const wanted = s.found.size + ENOUGH_RESULTS;
  for (let read = 0; read < SHARDS_AT_ONCE && s.next < s.shards.length && s.found.size < wanted; read++) {
    const shard = await getJson(`v1/search/${encodeURIComponent(s.shards[s.next].shard)}.json`);
    if (state.search !== s) return; // a newer query took over
    s.next++;
    for (const [id, title] of shard.data[0]?.games ?? []) {
      if (s.found.has(id)) continue;
      const words = tokens(title);
      if (!s.words.every((w) => words.some((t) => t.startsWith(w)))) continue;
      s.found.set(id, title);
      list.append(el('li', { 'data-game': id }, gameLink(id, title)));
    }
  }
  more.hidden = s.next >= s.shards.length;
  status.textContent = `${s.found.size === 0 ? 'No' : s.found.size} game${s.found.size === 1 ? '' : 's'} found for “${s.query.trim()}”${more.hidden ? '.' : ' so far: more below.'}`;
}

let searchTimer;
function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    try {
      state.searchIndex ??= await getJson('v1/search/index.json');
      await startSearch(document.getElementById('search').value);
    } catch (err) {
      showError(err);
    }
    document.body.setAttribute('data-searched', document.getElementById('search').value);
  }, 150);
}

// ---- a game ------------------------------------------------------------------------------------

const PALETTE = ['#1f5fbf', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0f766e', '#4d5b00', '#9d174d'];

/** The store's own spider wins over an aggregator for the price now, as in mart.current_prices. */
function currentOffers(rows) {
  const best = new Map();
  for (const r of rows.filter((x) => x.valid_to === null)) {
    const k = `${r.listing_id}|${r.region}|${r.currency}`;
    const had = best.get(k);
    if (!had || (r.source === r.store_id && had.source !== had.store_id)) best.set(k, r);
  }
  return [...best.values()];
}

function renderOffers(offers) {
  const lowest = new Map();
  for (const o of offers) {
    if (o.amount === null) continue;
    const k = `${o.region}|${o.currency}`;
    if (!lowest.has(k) || o.amount < lowest.get(k)) lowest.set(k, o.amount);
  }
  offers.sort((a, b) => a.region.localeCompare(b.region) || a.currency.localeCompare(b.currency) || (a.amount ?? Infinity) - (b.amount ?? Infinity));
  document.querySelector('#offers tbody').replaceChildren(...offers.map((o) => {
    const cheapest = o.amount !== null && lowest.get(`${o.region}|${o.currency}`) === o.amount;
    const url = safeUrl(o.url);
    return el('tr', { class: cheapest ? 'cheapest' : undefined, 'data-store': o.store_id, 'data-region': o.region },
      el('td', {}, url ? el('a', { href: url, rel: 'noopener noreferrer nofollow' }, o.store_id) : o.store_id, ...(cheapest ? [' ', el('strong', { class: 'badge' }, 'lowest')] : [])),
      el('td', { 'data-label': 'Region' }, `${o.region} · ${o.currency}`),
      // Not for sale: the reason (delisted, unavailable, …) stands where the price would.
      el('td', { class: 'num price', 'data-label': 'Price' }, o.amount === null ? o.status : money(o.amount, o.currency)),
      el('td', { class: 'num', 'data-label': 'Regular' }, money(o.regular_amount, o.currency)),
      el('td', { class: 'num', 'data-label': 'Discount' }, o.discount_pct ? `−${o.discount_pct}%` : '—'));
  }));
}

/**
 * One chart per region and currency, one stepped series per store (and source): a price holds until
 * the next one starts, and a gap shows where the game was delisted or not for sale.
 */
function priceChart(group, end) {
  const series = new Map();
  for (const r of group.rows) {
    const k = r.source === r.store_id ? r.store_id : `${r.store_id} via ${r.source}`;
    if (!series.has(k)) series.set(k, []);
    series.get(k).push(r);
  }
  const sec = (iso) => Math.floor(Date.parse(iso) / 1000);
  const endSec = Math.max(sec(end), ...group.rows.map((r) => sec(r.valid_to ?? r.valid_from)));
  // Each price also gets a point a second before it ends: a line drawn up to there stays drawn when a
  // gap (delisted, not for sale) follows, where uPlot would otherwise stop at the price's first point.
  const xs = [...new Set([...group.rows.flatMap((r) => [sec(r.valid_from), ...(r.valid_to ? [sec(r.valid_to) - 1, sec(r.valid_to)] : [])]), endSec])].sort((a, b) => a - b);
  const valueAt = (rows, x) => {
    const r = rows.find((row) => sec(row.valid_from) <= x && (row.valid_to === null || x < sec(row.valid_to)));
    return r && r.amount !== null ? major(r.amount, group.currency) : null;
  };
  const data = [xs, ...[...series.values()].map((rows) => xs.map((x) => valueAt(rows, x)))];
  const first = group.rows[0];
  const lows = [
    { label: 'all-time low', amount: first.low_all_time, dash: [8, 4] },
    { label: '90-day low', amount: first.low_90_days, dash: [2, 4] },
  ].filter((l) => l.amount !== null && l.amount !== undefined);
  for (const l of lows) data.push(xs.map(() => major(l.amount, group.currency)));

  const fmt = (v) => (v === null || v === undefined ? '—' : currencyFormat(group.currency).format(v));
  const stepped = uPlot.paths.stepped({ align: 1, alignGaps: 1 });
  const box = el('figure', { class: 'chart', 'data-region': group.region, 'data-currency': group.currency, 'data-series': [...series.keys()].join('|') });
  box.append(el('figcaption', {}, `${group.region} · ${group.currency}`));
  const opts = {
    width: 600,
    height: 260,
    scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min), max * 1.1 || 1] } },
    axes: [{}, { values: (u, ticks) => ticks.map(fmt), size: 80 }],
    series: [
      { value: (u, v) => (v === null ? '—' : day(v * 1000)) },
      ...[...series.keys()].map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 2, paths: stepped, points: { show: false }, spanGaps: false, value: (u, v) => fmt(v) })),
      ...lows.map((l) => ({ label: l.label, stroke: '#444', width: 1, dash: l.dash, points: { show: false }, value: (u, v) => fmt(v) })),
    ],
  };
  const holder = el('div', { class: 'plot' });
  box.append(holder);
  // A table of the same history: the canvas is not readable by a screen reader, the table is.
  const table = el('table', { class: 'history' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Store'), el('th', { scope: 'col' }, 'From'), el('th', { scope: 'col' }, 'To'), el('th', { scope: 'col', class: 'num' }, 'Price'), el('th', { scope: 'col' }, 'Status'))),
    el('tbody', {}, ...[...series].flatMap(([label, rows]) => rows.map((r) => el('tr', { 'data-amount': r.amount ?? '' },
      el('td', {}, label), el('td', {}, day(r.valid_from)), el('td', {}, r.valid_to ? day(r.valid_to) : 'now'),
      el('td', { class: 'num' }, money(r.amount, group.currency)), el('td', {}, r.status))))));
  box.append(el('details', {}, el('summary', {}, 'Price history as a table'), table));
  return { box, make: () => new uPlot({ ...opts, width: Math.max(280, holder.clientWidth) }, data, holder) };
}

function lowsText(group) {
  const r = group.rows[0];
  const parts = [];
  if (r.low_all_time !== null) parts.push(['All-time low', r.low_all_time, r.low_all_time_at, r.low_all_time_store, 'low-all-time']);
  if (r.low_90_days !== null) parts.push(['90-day low', r.low_90_days, r.low_90_days_at, r.low_90_days_store, 'low-90-days']);
  return el('dl', { class: 'lows' }, ...parts.flatMap(([what, amount, at, store, cls]) => [
    el('dt', {}, what),
    el('dd', { class: cls, 'data-amount': amount, 'data-at': at }, `${money(amount, group.currency)} at ${store}, ${day(at)}`),
  ]));
}

async function showGame(id) {
  show('game-view');
  for (const c of state.charts) c.destroy();
  state.charts = [];
  document.getElementById('charts').replaceChildren();
  document.getElementById('game-title').textContent = 'Loading…';
  const doc = await getJson(`v1/games/${encodeURIComponent(id)}.json`);
  const rows = doc.data;
  if (rows.length === 0) throw new LoadError(`No prices for game ${id}.`);
  document.getElementById('game-title').textContent = rows[0].title;
  const offers = currentOffers(rows);
  const note = [];
  if (rows[0].canonical_game_id !== rows[0].game_id) note.push(`This game was merged into ${rows[0].canonical_game_id}.`);
  if (!offers.some((o) => o.amount !== null)) note.push('Not for sale at any store now.');
  document.getElementById('game-note').textContent = note.join(' ');
  renderOffers(offers);

  const groups = new Map();
  for (const r of rows) {
    const k = `${r.region}|${r.currency}`;
    if (!groups.has(k)) groups.set(k, { region: r.region, currency: r.currency, rows: [] });
    groups.get(k).rows.push(r);
  }
  const made = [...groups.values()].map((g) => {
    const chart = priceChart(g, state.generatedAt);
    chart.box.insertBefore(lowsText(g), chart.box.children[1]);
    return chart;
  });
  document.getElementById('charts').replaceChildren(...made.map((m) => m.box));
  state.charts = made.map((m) => m.make());
  document.getElementById('main').focus();
}

// ---- routing -----------------------------------------------------------------------------------

async function route() {
  document.getElementById('error').hidden = true;
  const hash = decodeURIComponent(location.hash.slice(1));
  try {
    if (hash.startsWith('game=')) await showGame(hash.slice(5));
    else if (hash === 'browse' || hash.startsWith('browse=')) await showBrowse(hash.slice(7));
    else show('deals-view');
  } catch (err) {
    showError(err);
  }
  document.body.setAttribute('data-route', hash);
}

window.addEventListener('resize', () => {
  for (const c of state.charts) c.setSize({ width: Math.max(280, c.root.parentElement.clientWidth), height: 260 });
});

async function main() {
  const [status, currencies, deals, catalog] = await Promise.all([
    getJson('v1/status.json'),
    getJson('v1/currencies.json'),
    getJson('v1/deals/top.json'),
    getJson('v1/catalog/index.json'),
  ]);
  for (const c of currencies.data) state.exponents[c.code] = c.exponent;
  state.generatedAt = status.generated_at;
  state.catalog = catalog.data;
  const generation = document.getElementById('generation');
  generation.textContent = `Prices as of ${timeFormat.format(new Date(status.generated_at))} (generation ${status.generation})`;
  renderDeals(deals);
  renderLetters();
  document.getElementById('search').addEventListener('input', onSearchInput);
  document.getElementById('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    onSearchInput();
  });
  document.getElementById('more-results').addEventListener('click', () => searchMore().catch(showError));
  window.addEventListener('hashchange', route);
  await route();
  document.body.setAttribute('data-ready', 'true');
}

main().catch(showError);
