// Lands raw files in staging: stream lines -> COPY into a temp table -> set-based change detection
// (a first crawl: COPY straight into versions). One transaction per file, under its sources' locks,
// so a file is ingested wholly or not at all. The steps: staged-file.ts, first-crawl.ts,
// apply-staged.ts (change-detection.ts, run-end.ts, overlapping-sightings.ts), incoming-row.ts.
import { messageOf } from '../lib/errors.ts';
import { tightenHeap } from '../lib/tight-heap.ts';
import { applyStaged } from './apply-staged.ts';
import type { IngestFileOptions, IngestFileResult } from './ingest-file.ts';
import { poisonReason, quarantineFile } from './poison-file.ts';
import { abandon, ledgerPathOf, stageFile, type StagedFile } from './staged-file.ts';

export async function ingestFile(opts: IngestFileOptions): Promise<IngestFileResult> {
  const staged = await stageFile(opts);
  return 'client' in staged ? applyStaged(staged) : staged;
}

/** How many files may be applying at once (each on its own connection, under its sources' locks). */
const APPLYING_AT_ONCE = 2;

/**
 * Ingests files, one transaction each, in order of staging: while Postgres applies a file's changes,
 * Node reads and COPYs the next (a first crawl's file is read as it applies). Files of different
 * sources apply side by side (two at a time); two files of one source take turns, in order, under
 * that source's lock. A file whose own content fails it is quarantined as a whole (`onPoison`, and
 * staging.quarantined_files) and the next goes on; any other failure stops the ingest, after the
 * files being applied have finished.
 */
export async function ingestFiles(
  files: string[],
  opts: Omit<IngestFileOptions, 'file'>,
  onFile: (r: IngestFileResult) => void,
  onPoison: (f: { path: string; reason: string }) => void = () => undefined,
): Promise<void> {
  // Node's share of ingest is CPU-bound: a looser heap than a crawl's costs less collection time.
  tightenHeap(80);
  // Files being applied, oldest first; their promises never reject (a failure waits in `failed`).
  const applying: Promise<void>[] = [];
  let failed: { err: unknown } | undefined;
  /** Quarantines the file when the failure is its own; else it stops the ingest. */
  const fail = async (file: string, err: unknown) => {
    const reason = poisonReason(err);
    if (reason === undefined) {
      failed ??= { err };
      return;
    }
    const path = ledgerPathOf({ ...opts, file });
    try {
      await quarantineFile(opts.pool, path, reason);
    } catch (quarantineErr) {
      failed ??= { err: quarantineErr };
      return;
    }
    opts.log.warn({ file: path, reason }, 'raw file quarantined: it cannot be ingested; the next files go on (`trawl quarantine retry` tries it again)');
    onPoison({ path, reason });
  };
  let stoppedAt: number | undefined;
  try {
    for (const [i, file] of files.entries()) {
      if (opts.signal?.aborted) {
        stoppedAt = i;
        break;
      }
      let staged: StagedFile | IngestFileResult;
      try {
        staged = await stageFile({ ...opts, file });
      } catch (err) {
        await fail(file, err);
        if (failed) break;
        continue;
      }
      while (applying.length >= APPLYING_AT_ONCE && !failed) await applying.shift();
      if (failed) {
        if ('client' in staged) await abandon(staged);
        break;
      }
      if (!('client' in staged)) {
        onFile(staged);
        continue;
      }
      applying.push(applyStaged(staged).then(onFile, (err: unknown) => fail(file, err)));
    }
  } finally {
    // A staging failure surfaces after the files being applied have committed or failed.
    await Promise.all(applying);
  }
  if (failed) throw failed.err;
  if (stoppedAt !== undefined) {
    throw new Error(`ingest stopped (${messageOf(opts.signal!.reason)}) before ${files.length - stoppedAt} of ${files.length} file(s); those before it landed whole, the rest are left for the next ingest`);
  }
}
