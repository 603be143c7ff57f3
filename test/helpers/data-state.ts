// The data state two runs are compared on: staging versions, core and exported objects, with run
// logs, ledgers and surrogate ids left aside.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.ts';

export async function dataState(database: Database, exportDir: string) {
  const q = async (sql: string) => (await database.pool.query(sql)).rows;
  return {
    versions: await q(`SELECT source, entity, key, partition, version, encode(hash, 'hex') AS hash, delisted, data, source_fields,
                              valid_from, valid_to, last_seen_at
                       FROM staging.version_history ORDER BY source, entity, key, version`),
    quarantine: await q('SELECT source, key, reason, line FROM staging.quarantine ORDER BY line'),
    stores: await q('SELECT * FROM core.stores ORDER BY store_id'),
    games: await q('SELECT * FROM core.games ORDER BY game_id'),
    listings: await q('SELECT * FROM core.listings ORDER BY listing_id'),
    prices: await q(`SELECT listing_id, region_code, currency, source, status, amount, regular_amount, discount_pct, valid_from, valid_to
                     FROM core.prices ORDER BY listing_id, region_code, currency, source, valid_from`),
    exported: exportedObjects(exportDir),
  };
}

/** Every exported object but the manifests and v1/status.json, which name their generation. */
export function exportedObjects(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) walk(full);
      else if (rel !== 'v1/manifest.json' && rel !== 'v1/status.json' && !rel.startsWith('v1/manifests/')) out[rel] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** Throws unless the bytes are a whole object of the kind its key names: JSON, gzip or XML. */
export function wholeObject(key: string, bytes: Buffer): void {
  if (key.endsWith('.gz')) zlib.gunzipSync(bytes);
  else if (key.endsWith('.atom')) expect(XMLValidator.validate(bytes.toString('utf8')), key).toBe(true);
  else JSON.parse(bytes.toString('utf8'));
}

/** The public manifest of an export folder, after checking that every object it names is there with the
 * bytes it promises and that each stable key holds a whole object. */
export function publishedManifest(root: string): { generated_at: string; files: Record<string, { key: string; sha256: string }> } {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'v1/manifest.json'), 'utf8'));
  for (const [stable, f] of Object.entries(manifest.files) as [string, { key: string; sha256: string }][]) {
    expect(crypto.hash('sha256', fs.readFileSync(path.join(root, f.key)), 'hex'), f.key).toBe(f.sha256);
    wholeObject(stable, fs.readFileSync(path.join(root, stable)));
  }
  return manifest;
}

/** What staging.key_counts says, and what it should: the rows of staging.key_state per source and entity. */
export async function keyCounts(pool: Database['pool']): Promise<{ kept: string[]; actual: string[] }> {
  const q = async (sql: string) => (await pool.query<{ source: string; entity: string; n: string }>(sql)).rows.map((r) => `${r.source}/${r.entity}: ${r.n}`);
  return {
    kept: await q('SELECT source, entity, keys AS n FROM staging.key_counts ORDER BY source, entity'),
    actual: await q('SELECT source, entity, count(*) AS n FROM staging.key_state GROUP BY source, entity ORDER BY source, entity'),
  };
}
