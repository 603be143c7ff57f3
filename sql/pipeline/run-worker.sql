-- `trawl worker` (src/pipeline/run-worker.ts).

-- name: queued
SELECT 1 FROM pgboss.job WHERE name = $1 AND singleton_key = $2;

-- name: last_crawl_start
-- A crawl that was killed counts: its job is retried.
SELECT max(started_at) AS last FROM ops.runs
WHERE step = 'crawl' AND spider = $1 AND status IN ('ok', 'partial', 'running', 'killed');
