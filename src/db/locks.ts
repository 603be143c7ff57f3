// Advisory lock keys.
//
// STAGING_WRITE orders writers of staging versions against the ETL. An ingest holds it shared, and
// each source it writes exclusively (SOURCE_WRITE, hashtext(source)), so files of different sources
// apply side by side while two files of one source take turns. Writers that touch every source
// (quarantine retry, rehash) hold STAGING_WRITE exclusively. The ETL takes it exclusively only to
// take its snapshot: then no writer is in flight, every version id the snapshot shows is committed,
// and every id still to come is higher, so the watermark never skips one.
import type pg from 'pg';

export const LOCK = {
  stagingWrite: 7_401_001,
  export: 7_401_002,
  etl: 7_401_003,
  /** Changing the database's own rights (one migrating command at a time). */
  databaseRights: 7_401_004,
  /** Two-key locks: (class, hashtext(spider)). */
  spiderClass: 7_401_100,
  catchUpClass: 7_401_200,
  /** Two-key lock: (class, hashtext(source)), a writer of that source's versions. */
  sourceWriteClass: 7_401_300,
} as const;

/**
 * Takes, until the transaction ends, what an ingest needs to write versions of `sources`: the
 * staging lock shared, then each source's lock in one order (two writers of overlapping sources
 * cannot deadlock).
 */
export async function lockSourcesForWrite(client: pg.ClientBase, sources: Iterable<string>): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared($1)', [LOCK.stagingWrite]);
  for (const source of [...new Set(sources)].sort()) {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.sourceWriteClass, source]);
  }
}
