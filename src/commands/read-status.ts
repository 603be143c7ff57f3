// `trawl status`: per spider, its last run, how fresh its published data is, and the last 24 hours.
import type pg from 'pg';
import { sqlQuery } from '../db/index.ts';
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
  const { rows } = await pool.query(sqlQuery('commands/status.sql', 'status'), [names, now]);
  return rows.map((r) => {
    const threshold = schedules.find((s) => s.spider === r.spider)?.stale_after_hours ?? null;
    const freshness = r.last_export_at ? (now.getTime() - new Date(r.last_export_at).getTime()) / 3_600_000 : null;
    const stale = threshold !== null && (freshness === null || freshness > threshold);
    return { ...r, freshness_hours: freshness === null ? null : Math.round(freshness * 10) / 10, stale_after_hours: threshold, stale };
  });
}
