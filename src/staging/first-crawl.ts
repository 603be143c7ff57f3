// A source's first crawl, whose keys each come once, lands as it is read: every record is its key's
// version 1, COPYed straight into staging.versions with no comparing.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { lockSourcesForWrite, sqlQuery, without } from '../db/index.ts';
import { failpoint } from '../lib/failpoint.ts';
import { BatchKeys } from './batch-keys.ts';
import { checkHashVersion, nextApplySeq } from './change-detection.ts';
import { COPY_FIRST_VERSIONS, COPY_INCOMING, toIncomingRow } from './incoming-row.ts';
import { copyChunks, sourceIsKnown, type StagedFile, stageIncoming } from './staged-file.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);

/** Reads a first crawl's file: straight into versions if it can, else into `incoming` as any file. */
export async function stageFirstCrawl(staged: StagedFile, kind: { source: string; entity: string }, lap: (name: string) => void): Promise<void> {
  if (await stageFirstVersions(staged, kind)) {
    lap('copy');
    failpoint('ingest.after-copy');
    return;
  }
  Object.assign(staged, { end: staged.from, runId: null, trusted: false, trailer: undefined, invalidLines: 0, batch: { records: 0, keys: new BatchKeys() } });
  staged.result.lines = 0;
  await stageIncoming(staged, lap);
}

/** Why a first crawl's file cannot land as it is read; it is then staged like any other. */
class NotFirstVersions extends Error {}

/** More quarantined lines than this are not held in memory: the file is staged like any other. */
const MAX_HELD_QUARANTINE_BYTES = 16 << 20;

/**
 * A first crawl of a source (no key known) whose keys each come once: every record is its key's
 * version 1. Under the source's lock, records are COPYed straight into staging.versions as they are
 * read, with no temp table and no comparing, and their key states follow from what landed.
 * Returns false, with nothing of the file landed, when the file turns out otherwise: a key comes
 * twice (the change-detection index refuses it), a record of another source or entity, another
 * ingest landed the source's first keys meanwhile, or many quarantined lines.
 */
async function stageFirstVersions(staged: StagedFile, kind: { source: string; entity: string }): Promise<boolean> {
  const { client, opts, batch } = staged;
  // The lock is held until commit, also when the file is read the general way after all: letting go
  // would let a later file of the source, already waiting, apply before this one (a day's changes
  // then look older than what is known, and are lost). So it is taken before the savepoint.
  await lockSourcesForWrite(client, [kind.source]);
  staged.applySeq = await nextApplySeq(client);
  // Once per transaction, under the staging lock: applyStaged does not check again.
  await checkHashVersion(client);
  if (await sourceIsKnown(client, kind)) return false;
  // Ids this transaction takes from here are above every id taken before (and other writers'
  // rows in that range are told apart by their raw file).
  const { rows: before } = await client.query<{ id: string }>(Q('max_version_id'));
  await client.query('SAVEPOINT first_versions');
  const quarantined: string[] = [];
  let heldBytes = 0;
  const rows = copyChunks(
    staged,
    (line) => toIncomingRow(line.text, line.lineNo, opts.rules, staged.runId, batch.keys, { trusted: staged.trusted, firstVersionOf: staged.ledgerId }),
    (r) => {
      if (r.reason !== undefined) {
        quarantined.push(r.copy!);
        heldBytes += r.copy!.length;
        if (heldBytes > MAX_HELD_QUARANTINE_BYTES) throw new NotFirstVersions('many quarantined lines');
        return undefined;
      }
      if (r.copy === undefined) return undefined;
      if (r.source !== kind.source || r.entity !== kind.entity) throw new NotFirstVersions('records of several sources');
      batch.records++;
      return r.copy;
    },
  );
  try {
    await pipeline(Readable.from(rows), client.query(copyFrom(COPY_FIRST_VERSIONS)));
  } catch (err) {
    // 23505: a key came twice, which the windowed path handles.
    if (!(err instanceof NotFirstVersions) && (err as { code?: string }).code !== '23505') throw err;
    await client.query('ROLLBACK TO SAVEPOINT first_versions');
    return false;
  }
  // The rows just landed are the top of the id index; versions' statistics may not know them yet
  // (a new database, or rows since the last analyze), and a scan of the whole table would read
  // every version of every source for one file's rows.
  await without(client, 'seqscan', () => client.query(Q('insert_first_key_state_from_versions'), [before[0]!.id, staged.ledgerId, staged.applySeq]));
  // Quarantined lines go through `incoming` as in any file.
  await pipeline(Readable.from(quarantined.length ? [quarantined.join('')] : []), client.query(copyFrom(COPY_INCOMING)));
  staged.invalidLines = quarantined.length;
  staged.landedAsRead = true;
  return true;
}
