// Applies a staged raw file: under its sources' locks, in its order of applies, change detection,
// the run's end (delisting, sightings) and the ledger, then commit.
import { lockSourcesForWrite, sqlQuery } from '../db/index.ts';
import { failpoint } from '../lib/failpoint.ts';
import { stopwatch } from '../lib/stopwatch.ts';
import { applyIncoming, checkHashVersion, nextApplySeq } from './change-detection.ts';
import { stageFirstCrawl } from './first-crawl.ts';
import type { IngestFileResult } from './ingest-file.ts';
import { decisionTimesOf, locateUnder, resolveOverlappingSightings } from './overlapping-sightings.ts';
import { applyRunEnd, planRunEnd } from './run-end.ts';
import { ingestError, type StagedFile } from './staged-file.ts';

const Q = (name: string) => sqlQuery('staging/ingest.sql', name);

/** Applies a staged file under its sources' locks and commits it (a first crawl's file is read here). */
export async function applyStaged(staged: StagedFile): Promise<IngestFileResult> {
  const { client, opts, result, ledgerId: id, timings } = staged;
  const lap = stopwatch(timings);
  try {
    if (staged.firstCrawl) await stageFirstCrawl(staged, staged.firstCrawl, lap);
    const { end, trailer } = staged;
    const sources = staged.batch.keys.kindsOfRecord().sources;
    await lockSourcesForWrite(client, trailer ? [...sources, trailer.source] : sources);
    const seq = (staged.applySeq ??= await nextApplySeq(client));
    if (!staged.firstCrawl) {
      await checkHashVersion(client);
      const locate = opts.locateRawFile ?? locateUnder(opts.rawDir);
      await resolveOverlappingSightings(client, id, decisionTimesOf(staged.batch.keys, trailer), locate, opts.log);
    }
    lap('lock');
    if (staged.invalidLines > 0) {
      const q = (await client.query<{ quarantined: number; fresh: number }>(Q('quarantine_invalid'), [id])).rows[0]!;
      result.quarantined = q.quarantined;
      result.newQuarantined = q.fresh;
    }
    const plan = trailer ? await planRunEnd(client, id, trailer, staged.batch.keys, opts.delistMaxMissingShare) : undefined;
    const records = staged.batch.records;
    const sighted = plan ? { source: plan.source, partitions: plan.sightings.map((s) => s.partition) } : undefined;
    const delisting = plan?.delisting.length ? { source: plan.source, partitions: plan.delisting, startedAt: trailer!.started_at } : undefined;
    const { gone, ...applied } = staged.landedAsRead
      ? { records, newVersions: records, unchanged: 0, gone: undefined }
      : await applyIncoming(client, id, staged.batch, seq, sighted, timings, delisting);
    Object.assign(result, applied);
    lap('apply');
    failpoint('ingest.after-apply');
    if (plan) {
      result.delisted = await applyRunEnd(client, id, trailer!, end.lines, seq, plan, gone);
      result.collapsed = plan.collapsed;
    }
    await client.query(Q('advance_ledger_row'), [id, end.bytes, end.lines, trailer?.source ?? null, trailer?.run_id ?? staged.runId, trailer !== undefined, trailer?.complete ?? false]);
    lap('delist');
    failpoint('ingest.before-commit');
    await client.query('COMMIT');
    lap('commit');
    opts.log.debug({ file: result.path, ms: timings }, 'ingest timings');
    for (const partition of result.collapsed) {
      opts.log.warn({ file: result.path, partition }, 'crawl record count collapsed against the last complete crawl: nothing delisted');
    }
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw ingestError(result.path, err);
  } finally {
    client.release();
  }
}
