-- Where a generation's changes feed starts, counted in staging versions (src/export/feed-baseline.ts).

-- name: version_id_at
-- The id of the n-th version: where a feed baseline counted in versions starts.
SELECT id FROM mart.version_ids ORDER BY id OFFSET $1 LIMIT 1;

-- name: versions_up_to
SELECT count(*)::int AS n FROM mart.version_ids WHERE id <= $1;
