-- What `trawl export` reads besides the export queries (src/export/run-export.ts).

-- name: watermark
SELECT watermark FROM ops.etl_state;

-- name: version_id_at
-- The id of the n-th version: where a feed baseline counted in versions starts.
SELECT id FROM staging.versions ORDER BY id OFFSET $1 LIMIT 1;

-- name: versions_up_to
SELECT count(*)::int AS n FROM staging.versions WHERE id <= $1;
