// The marts live in sql/marts and are applied only when their file changed (src/db/apply-marts.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMarts, COLUMN_COMMENTS, MARTS_DIR, martFiles } from '../../src/db/apply-marts.ts';
import type { Database } from '../../src/db/database.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database.ts';

let dir: string;
let database: Database;
let testDb: TestDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trawl-marts-'));
  ({ database, testDb } = await openTestDatabase(dir));
});

afterAll(async () => {
  await database.close();
  await testDb.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of sql/marts to change. */
function martsCopy(): string {
  const copy = fs.mkdtempSync(path.join(dir, 'marts-'));
  for (const f of fs.readdirSync(MARTS_DIR)) fs.copyFileSync(path.join(MARTS_DIR, f), path.join(copy, f));
  return copy;
}

async function withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

describe('marts from sql/marts', () => {
  it('a migrated database holds every mart, with its comments and the analyst\'s right to read; applying again touches none', async () => {
    const all = martFiles();
    expect(all.length).toBeGreaterThan(8);
    const { rows: recorded } = await database.pool.query<{ file: string; sha256: string }>('SELECT file, sha256 FROM ops.mart_definitions WHERE file <> $1 ORDER BY file', [COLUMN_COMMENTS]);
    expect(recorded).toEqual(all.map((m) => ({ file: m.file, sha256: m.sha256 })));
    expect(await withClient((c) => applyMarts(c, silentLogger))).toEqual([]);
    const { rows: uncommented } = await database.pool.query(
      "SELECT c.table_name, c.column_name FROM information_schema.columns c WHERE c.table_schema = 'mart' AND col_description(to_regclass('mart.' || c.table_name), c.ordinal_position) IS NULL",
    );
    expect(uncommented).toEqual([]);
    for (const m of all) {
      const { rows } = await database.pool.query<{ comment: string | null }>('SELECT obj_description(to_regclass($1), $2) AS comment', [`mart.${m.view}`, 'pg_class']);
      expect(rows[0]!.comment, m.view).toBe(/COMMENT ON VIEW mart\.\w+ IS '((?:[^']|'')*)'/.exec(m.text)![1]!.replace(/''/g, "'"));
      const { rows: rights } = await database.pool.query<{ ok: boolean }>("SELECT has_table_privilege('trawl_analyst', $1, 'SELECT') AS ok", [`mart.${m.view}`]);
      expect(rights[0]!.ok, m.view).toBe(true);
    }
  });

  it('an unchanged mart is not touched while a reader holds it', async () => {
    const reader = await database.pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM mart.deals');
      expect(await withClient((c) => applyMarts(c, silentLogger))).toEqual([]);
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }
  });

  it('replaces a changed view; one it cannot replace is dropped and made again with every later view', async () => {
    const copy = martsCopy();
    const deals = path.join(copy, '030_deals.sql');
    fs.writeFileSync(deals, fs.readFileSync(deals, 'utf8').replace('discount_pct > 0', 'discount_pct > 0 AND amount IS NOT NULL'));
    expect(await withClient((c) => applyMarts(c, silentLogger, { dir: copy }))).toEqual(['030_deals.sql']);
    const def = await database.pool.query<{ def: string }>("SELECT pg_get_viewdef('mart.deals'::regclass) AS def");
    expect(def.rows[0]!.def).toMatch(/amount IS NOT NULL/);

    // A column the comment dictionary does not know fails the apply, naming it; nothing changes.
    const history = path.join(copy, '010_price_history.sql');
    const original = fs.readFileSync(history, 'utf8');
    fs.writeFileSync(history, original.replace('p.staging_version_id\n', 'p.staging_version_id, NULL::text AS note\n'));
    await expect(withClient((c) => applyMarts(c, silentLogger, { dir: copy }))).rejects.toThrow(/no comment for mart column price_history\.note/);
    // A column added at the end is a replacement; a column fewer CREATE OR REPLACE refuses: the view
    // and its dependents are made again.
    fs.writeFileSync(history, original.replace('p.staging_version_id\n', 'p.staging_version_id, NULL::text AS raw_file\n'));
    expect(await withClient((c) => applyMarts(c, silentLogger, { dir: copy }))).toEqual(['010_price_history.sql']);
    fs.writeFileSync(history, original);
    const applied = await withClient((c) => applyMarts(c, silentLogger, { dir: copy }));
    expect(applied[0]).toBe('010_price_history.sql');
    expect(applied).toEqual(martFiles(copy).map((m) => m.file));
    for (const m of martFiles(copy)) {
      const { rows } = await database.pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [`mart.${m.view}`]);
      expect(rows[0]!.exists, m.view).toBe(true);
    }
    // Back to the project's own definitions.
    expect(await withClient((c) => applyMarts(c, silentLogger))).not.toEqual([]);
  });

  it('a changed mart waits for the view\'s reader, then is replaced', async () => {
    const copy = martsCopy();
    const deals = path.join(copy, '030_deals.sql');
    fs.writeFileSync(deals, fs.readFileSync(deals, 'utf8').replace('discount_pct > 0', 'discount_pct >= 1'));
    const reader = await database.pool.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM mart.deals');
    const applying = withClient((c) => applyMarts(c, silentLogger, { dir: copy }));
    try {
      // The applier asks for the view's lock and does not get it while the reader holds it.
      let settled = false;
      void applying.finally(() => (settled = true));
      for (;;) {
        const { rows } = await database.pool.query("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'deals' AND NOT l.granted");
        if (rows.length) break;
        expect(settled, 'applied while the reader held the view').toBe(false);
        await new Promise((r) => setTimeout(r, 20));
      }
      const { rows } = await database.pool.query("SELECT sha256 FROM ops.mart_definitions WHERE file = '030_deals.sql'");
      expect(rows[0]!.sha256).not.toBe(martFiles(copy).find((m) => m.file === '030_deals.sql')!.sha256);
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }
    expect(await applying).toEqual(['030_deals.sql']);
    expect(await withClient((c) => applyMarts(c, silentLogger))).toEqual(['030_deals.sql']);
  });
});
