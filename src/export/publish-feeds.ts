// v1/feeds/lows.atom and v1/feeds/drops.atom: the latest price drops that reached a game's low, and
// those of at least a configured share, as Atom feeds a person subscribes to. An entry's id comes
// from the price it reports, so the same drop keeps its id in every generation.
import crypto from 'node:crypto';
import type { PoolClient } from 'pg';
import { sqlQuery } from '../db/index.ts';
import { formatAmount } from '../lib/money.ts';
import { type FeedEntry, renderAtomFeed } from './atom-feed.ts';
import { type Finishable, textBody } from './object-body.ts';

interface DropRow {
  feed: 'lows' | 'drops';
  game_id: string;
  game_title: string;
  listing_id: string;
  store_id: string;
  url: string | null;
  region_code: string;
  currency: string;
  source: string;
  amount: number;
  prev_amount: number;
  regular_amount: number | null;
  valid_from: Date;
  low_all_time_reached: boolean;
}

/** A name-based UUID (RFC 4122 version 5 layout over SHA-1): the same name, the same id. */
function stableUuid(name: string): string {
  const h = crypto.createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function entryOf(r: DropRow): FeedEntry {
  const kind = r.feed === 'lows' ? 'low' : 'drop';
  const price = (a: number | null) => (a === null ? '—' : `${formatAmount(Number(a), r.currency)} ${r.currency}`);
  const pct = Math.round((1 - Number(r.amount) / Number(r.prev_amount)) * 100);
  const what = kind === 'low' ? (r.low_all_time_reached ? 'all-time low' : '90-day low') : `down ${pct}%`;
  const at = r.valid_from.toISOString();
  return {
    id: stableUuid(`trawl:${kind}:${r.listing_id}:${r.region_code}:${r.currency}:${r.source}:${at}`),
    title: `${r.game_title}: ${price(r.amount)} at ${r.store_id} (${r.region_code}), ${what}`,
    updated: at,
    link: `../../#game=${encodeURIComponent(r.game_id)}`,
    summary: `${r.game_title} costs ${price(r.amount)} at ${r.store_id} in region ${r.region_code}, down from ${price(r.prev_amount)} (-${pct}%; regular price ${price(r.regular_amount)})${r.url ? `: ${r.url}` : ''}.`,
  };
}

/** Renders both feeds and hands each to `publish`, which uploads it before the manifest names it. */
export async function publishFeeds(
  client: PoolClient,
  publish: (objectPath: string, body: Finishable) => Promise<void>,
  opts: { dropMinShare: number; generatedAt: string },
): Promise<void> {
  const { rows } = await client.query<DropRow>(sqlQuery('export/feeds.sql', 'entries'), [opts.dropMinShare]);
  const feeds = [
    { name: 'lows', title: 'trawl: games at their lowest price', subtitle: 'A price drop that reached the game\'s all-time or 90-day low in its region and currency, across stores.' },
    { name: 'drops', title: 'trawl: price drops', subtitle: `Price drops of at least ${Math.round(opts.dropMinShare * 100)}% at a store.` },
  ];
  for (const f of feeds) {
    const entries = rows.filter((r) => r.feed === f.name).map(entryOf);
    const xml = renderAtomFeed({
      id: stableUuid(`trawl:feed:${f.name}`),
      title: f.title,
      subtitle: f.subtitle,
      self: `${f.name}.atom`,
      alternate: '../../',
      // The newest entry's time, so that a feed with the same entries keeps the same bytes.
      updated: entries[0]?.updated ?? opts.generatedAt,
      entries,
    });
    await publish(`v1/feeds/${f.name}.atom`, textBody(xml, entries.length));
  }
}
