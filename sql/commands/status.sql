-- `trawl status` (src/commands/read-status.ts): per spider ($1), its last run, its last export,
-- the collapsed partitions of its latest crawl, its files quarantined whole, and the 24 hours before $2.

-- name: status
WITH last_step AS (
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
ORDER BY n.spider;
