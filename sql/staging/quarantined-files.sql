-- Files (raw files, replays, landing objects) that could not be ingested, with the reason. A file
-- listed here is passed over by every ingest until `trawl quarantine retry` clears the list.

-- name: quarantine_file
INSERT INTO staging.quarantined_files (path, reason) VALUES ($1, $2)
ON CONFLICT (path) DO UPDATE SET reason = EXCLUDED.reason, quarantined_at = now()

-- name: quarantined_paths
SELECT path FROM staging.quarantined_files WHERE path = ANY($1)

-- name: list_quarantined_files
SELECT path, reason, quarantined_at FROM staging.quarantined_files ORDER BY quarantined_at, path

-- name: clear_quarantined_files
DELETE FROM staging.quarantined_files RETURNING path
