-- Quarantined records: listed, and retried after a schema fix (src/staging/quarantine.ts).

-- name: list
SELECT q.id, f.path AS file, q.raw_line, q.run_id, q.source, q.key, q.reason, q.quarantined_at, q.resolved_at
FROM staging.quarantine q JOIN staging.raw_files f ON f.id = q.raw_file_id
WHERE $1 OR q.resolved_at IS NULL
ORDER BY q.id
LIMIT $2;

-- name: files_with_open_lines
SELECT DISTINCT raw_file_id FROM staging.quarantine WHERE resolved_at IS NULL ORDER BY raw_file_id;

-- name: open_lines_of_file
SELECT id, raw_line, run_id, line, reason FROM staging.quarantine
WHERE raw_file_id = $1 AND resolved_at IS NULL ORDER BY raw_line FOR UPDATE;

-- name: resolve
UPDATE staging.quarantine SET resolved_at = now(), retried_at = now() WHERE id = ANY($1);

-- name: keep_with_reason
UPDATE staging.quarantine SET reason = $2, retried_at = now() WHERE id = $1;
