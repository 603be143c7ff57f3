// `trawl status`: per spider, its last run, how fresh its published data is, and the last 24 hours.
import type pg from 'pg';
import type { Schedule } from '../schedule/index.ts';

export interface SpiderStatus {
  spider: string;
  last_run_at: Date | null;
  last_run_status: string | null;
  last_run_message: string | null;
  last_export_at: Date | null;
  /** Hours since the last successful export of this spider's data; null if never. */
  freshness_hours: number | null;
  /** Null for a spider without a schedule: it is never stale. */
  stale_after_hours: number | null;
  stale: boolean;
  records_24h: number;
  new_versions_24h: number;
  quarantined_24h: number;
  /** Raw files of this spider quarantined whole (they cannot be read; `trawl quarantine`). */
  quarantined_files: number;
  /** Partitions whose last crawl's record count collapsed against the one before (or a crawl found nothing): null when none. */
  collapsed: string | null;
}

export async function readStatus(pool: pg.Pool, schedules: Schedule[], now: Date, spiders: string[]): Promise<SpiderStatus[]> {
  const names = [...new Set([...schedules.map((s) => s.spider), ...spiders])].sort();
  const { rows } = await pool.query(
    `WITH last_step AS (
       SELECT DISTINCT ON (spider) spider, started_at, status, message
       FROM ops.runs WHERE spider = ANY($1) ORDER BY spider, started_at DESC, id DESC
     ), last_export AS (
       SELECT spider, max(finished_at) AS at FROM ops.runs WHERE step = 'export' AND status = 'ok' AND spider = ANY($1) GROUP BY spider
     ), latest_crawl AS (
       SELECT DISTINCT ON (source) source, raw_file_id FROM staging.crawl_partitions WHERE source = ANY($1) ORDER BY source, finished_at DESC
     ), collapsed AS (
       SELECT c.source AS spider, string_agg(c.partition, ', ' ORDER BY c.partition) AS collapsed
       FROM staging.crawl_partitions c JOIN latest_crawl l USING (source, raw_file_id) WHERE c.collapsed GROUP BY c.source
     ), poisoned AS (
       SELECT n.spider, count(*)::int AS files
       FROM unnest($1::text[]) AS n(spider) JOIN staging.quarantined_files f ON starts_with(f.path, n.spider || '/')
       GROUP BY n.spider
     ), recent AS (
       SELECT spider, sum(records)::int AS records, sum(new_versions)::int AS new_versions, sum(quarantined)::int AS quarantined
       FROM ops.runs WHERE step = 'ingest' AND spider = ANY($1) AND started_at > $2::timestamptz - interval '24 hours' GROUP BY spider
     )
     SELECT n.spider, l.started_at AS last_run_at, l.status AS last_run_status, l.message AS last_run_message, e.at AS last_export_at,
            coalesce(r.records, 0) AS records_24h, coalesce(r.new_versions, 0) AS new_versions_24h, coalesce(r.quarantined, 0) AS quarantined_24h,
            c.collapsed, coalesce(q.files, 0) AS quarantined_files
     FROM unnest($1::text[]) AS n(spider)
     LEFT JOIN last_step l USING (spider) LEFT JOIN last_export e USING (spider) LEFT JOIN recent r USING (spider) LEFT JOIN collapsed c USING (spider) LEFT JOIN poisoned q USING (spider)
     ORDER BY n.spider`,
    [names, now],
  );
  return rows.map((r) => {
    const threshold = schedules.find((s) => s.spider === r.spider)?.stale_after_hours ?? null;
    const freshness = r.last_export_at ? (now.getTime() - new Date(r.last_export_at).getTime()) / 3_600_000 : null;
    const stale = threshold !== null && (freshness === null || freshness > threshold);
    return { ...r, freshness_hours: freshness === null ? null : Math.round(freshness * 10) / 10, stale_after_hours: threshold, stale };
  });
}
