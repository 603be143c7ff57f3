-- The landing bucket: objects other producers drop, each ingested once (src/staging/landing.ts).

-- name: seen_object
-- Ingested whole, or quarantined whole: either way not read again.
SELECT 1 FROM staging.raw_files WHERE path = $1 AND finished
UNION ALL SELECT 1 FROM staging.quarantined_files WHERE path = $1;

-- name: finish_object
-- An object is read whole: finished, so the next pass skips it.
UPDATE staging.raw_files SET finished = true, etag = $2 WHERE path = $1;
