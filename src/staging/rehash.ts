// `trawl rehash`: moves staging to this code's canonical-JSON hash version, deliberately. Every
// version's hash is recomputed from its stored data and volatile fields, so an unchanged record
// keeps matching and no version is made by the change of form alone.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { from as copyFrom } from 'pg-copy-streams';
import { copyRow, LOCK, lockForTransaction, sqlQuery } from '../db/index.ts';
import { contentHash, HASH_VERSION } from '../lib/canonical-json.ts';
import { DELISTED_HASH } from './run-end.ts';

const Q = (name: string) => sqlQuery('staging/rehash.sql', name);

export async function rehashStaging(pool: pg.Pool): Promise<{ versions: number; from: number; to: number }> {
  const client = await pool.connect();
  const reader = await pool.connect();
  try {
    await client.query('BEGIN');
    await lockForTransaction(client, LOCK.stagingWrite);
    const { rows } = await client.query<{ hash_version: number }>(Q('hash_version_for_update'));
    const from = rows[0]!.hash_version;
    await client.query(Q('create_rehashed'));
    // The staging lock keeps writers out while a second connection streams the versions.
    const cursor = reader.query(new Cursor(Q('versions')));
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
    await pipeline(Readable.from(chunks()), client.query(copyFrom(Q('copy_rehashed'))));
    await cursor.close();
    await client.query(Q('update_versions'), [HASH_VERSION]);
    await client.query(Q('update_key_state'), [HASH_VERSION]);
    await client.query(Q('update_hash_state'), [HASH_VERSION]);
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
