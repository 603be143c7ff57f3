// `trawl rehash`: moves staging to this code's canonical-JSON hash version, deliberately. Every
// version's hash is recomputed from its stored data and volatile fields, so an unchanged record
// keeps matching and no version is made by the change of form alone.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { from as copyFrom } from 'pg-copy-streams';
import { LOCK } from '../db/index.ts';
import { contentHash, HASH_VERSION } from '../lib/canonical-json.ts';
import { copyRow } from '../db/index.ts';
import { DELISTED_HASH } from './run-end.ts';

export async function rehashStaging(pool: pg.Pool): Promise<{ versions: number; from: number; to: number }> {
  const client = await pool.connect();
  const reader = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK.stagingWrite]);
    const { rows } = await client.query<{ hash_version: number }>('SELECT hash_version FROM staging.hash_state FOR UPDATE');
    const from = rows[0]!.hash_version;
    await client.query('CREATE TEMP TABLE rehashed (id bigint, hash bytea) ON COMMIT DROP');
    // The staging lock keeps writers out while a second connection streams the versions.
    const cursor = reader.query(new Cursor('SELECT id, delisted, data, volatile FROM staging.versions ORDER BY id'));
    let versions = 0;
    const chunks = async function* () {
      for (let batch = await cursor.read(5000); batch.length > 0; batch = await cursor.read(5000)) {
        versions += batch.length;
        yield batch
          .map((v: { id: number; delisted: boolean; data: Record<string, unknown>; volatile: string[] | null }) =>
            copyRow([v.id, `\\x${v.delisted ? DELISTED_HASH.toString('hex') : contentHash(v.data, v.volatile ?? [])}`]),
          )
          .join('');
      }
    };
    await pipeline(Readable.from(chunks()), client.query(copyFrom('COPY rehashed (id, hash) FROM STDIN')));
    await cursor.close();
    await client.query('UPDATE staging.versions v SET hash = r.hash, hash_version = $1 FROM rehashed r WHERE v.id = r.id', [HASH_VERSION]);
    await client.query(
      `UPDATE staging.key_state s SET hash = v.hash, hash_version = $1
       FROM staging.versions v
       WHERE v.source = s.source AND v.entity = s.entity AND v.key = s.key AND v.version = s.version`,
      [HASH_VERSION],
    );
    await client.query('UPDATE staging.hash_state SET hash_version = $1', [HASH_VERSION]);
    await client.query('COMMIT');
    return { versions, from, to: HASH_VERSION };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    reader.release();
    client.release();
  }
}
