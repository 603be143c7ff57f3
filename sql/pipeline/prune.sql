-- `trawl prune` (src/pipeline/prune.ts).

-- name: ingested_bytes
SELECT bytes_ingested AS bytes FROM staging.raw_files WHERE path = $1 AND finished;

-- name: old_runs
SELECT 1 FROM ops.runs WHERE started_at < $1::timestamptz - $2 * interval '1 day';

-- name: delete_old_runs
DELETE FROM ops.runs WHERE started_at < $1::timestamptz - $2 * interval '1 day';
