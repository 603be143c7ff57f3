// The summary of `run` and `demo`, and the exit code it means.
import { EXIT, type ExitCode } from '../lib/errors.ts';
import { formatTable, seconds } from '../lib/table.ts';
import type { PipelineResult } from '../pipeline/index.ts';

/** A crawl that read no page at all, though it tried, did not work: it exits failed, not partial. */
export const readNothing = (c: { pages: number; failedRequests: number }) => c.pages === 0 && c.failedRequests > 0;

export function printPipeline(results: { label: string; result: PipelineResult }[], elapsedMs: number): ExitCode {
  const rows = results.map(({ label, result: r }) => ({
    run: label,
    pages: r.crawls.reduce((a, c) => a + c.pages, 0),
    records: r.ingest.records,
    'new versions': r.ingest.newVersions,
    unchanged: r.ingest.unchanged,
    delisted: r.ingest.delisted,
    quarantined: r.ingest.quarantined,
    'new in quarantine': r.ingest.newQuarantined,
    exported: `${r.export.uploaded}/${r.export.objects}`,
    ...(r.lake ? { lake: `${r.lake.written}/${r.lake.files}` } : {}),
    complete: r.crawls.every((c) => c.complete) ? 'yes' : 'NO',
  }));
  process.stdout.write(`${formatTable(rows)}\n\ntime ${seconds(elapsedMs)}; exported = objects uploaded/published${results.some((r) => r.result.lake) ? '; lake = Parquet files written/published' : ''}\n`);
  // Exit 3 for what is news: a line quarantined for a key or reason not seen before (the table counts all).
  const quarantined = results.some((r) => r.result.ingest.newQuarantined > 0 || r.result.ingest.quarantinedFiles.length > 0);
  const incomplete = results.some((r) => r.result.crawls.some((c) => !c.complete));
  if (results.some((r) => r.result.crawls.some(readNothing))) return EXIT.failed;
  return quarantined || incomplete ? EXIT.partial : EXIT.ok;
}
