-- Change detection, set-based. The ingest runner COPYs a raw file's lines into the temp table
-- `incoming`, then runs these statements in order inside one transaction, under the staging lock.

-- name: create_incoming
CREATE TEMP TABLE incoming (
  raw_line       integer NOT NULL,
  source         text,
  entity         text,
  key            text,
  partition      text,
  observed_at    timestamptz,
  hash           bytea,
  data           jsonb,
  source_fields  jsonb,
  run_id         text,
  reason         text,
  line           text
) ON COMMIT DROP

-- name: quarantine_invalid
-- Invalid lines are kept with their reason and origin; replays do not duplicate them.
INSERT INTO staging.quarantine (raw_file_id, raw_line, run_id, source, entity, key, reason, line)
SELECT $1, raw_line, run_id, source, entity, key, reason, line
FROM incoming
WHERE reason IS NOT NULL
ON CONFLICT (raw_file_id, raw_line) DO NOTHING

-- name: segment
-- Splits each key's observations (newer than anything seen for it) into runs of equal content.
-- Segment 0 continues the current version; segments 1.. become new versions. Observations no newer
-- than the key's last_seen_at are already reflected (re-ingest, replay) and change nothing.
CREATE TEMP TABLE segments ON COMMIT DROP AS
WITH obs AS (
  SELECT DISTINCT ON (source, entity, key, observed_at)
         raw_line, source, entity, key, partition, observed_at, hash, data, source_fields, run_id
  FROM incoming
  WHERE reason IS NULL
  ORDER BY source, entity, key, observed_at, hash DESC
), cur AS (
  SELECT v.id, v.source, v.entity, v.key, v.version, v.hash, v.last_seen_at
  FROM staging.versions v
  WHERE v.valid_to IS NULL
    AND (v.source, v.entity, v.key) IN (SELECT source, entity, key FROM obs)
), fresh AS (
  SELECT o.*, c.id AS cur_id, c.version AS cur_version, c.hash AS cur_hash
  FROM obs o
  LEFT JOIN cur c USING (source, entity, key)
  WHERE c.id IS NULL OR o.observed_at > c.last_seen_at
), marked AS (
  SELECT f.*, (f.hash IS DISTINCT FROM coalesce(lag(f.hash) OVER w, f.cur_hash))::int AS starts
  FROM fresh f
  WINDOW w AS (PARTITION BY source, entity, key ORDER BY observed_at)
)
SELECT m.*, sum(m.starts) OVER (PARTITION BY source, entity, key ORDER BY observed_at) AS seg
FROM marked m

-- name: touch_current
-- Moves last_seen_at of current versions seen again, and closes those that changed.
UPDATE staging.versions v
SET last_seen_at = greatest(v.last_seen_at, coalesce(s.seen_unchanged, v.last_seen_at)),
    valid_to = s.changed_at
FROM (
  SELECT cur_id,
         max(observed_at) FILTER (WHERE seg = 0) AS seen_unchanged,
         min(observed_at) FILTER (WHERE seg = 1) AS changed_at
  FROM segments
  WHERE cur_id IS NOT NULL
  GROUP BY cur_id
) s
WHERE v.id = s.cur_id

-- name: insert_versions
INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, source_fields,
                              valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id)
SELECT source, entity, key, partition, coalesce(cur_version, 0) + seg, hash, $2, data, source_fields,
       valid_from, lead(valid_from) OVER (PARTITION BY source, entity, key ORDER BY seg), last_seen, $1, raw_line, run_id
FROM (
  SELECT DISTINCT ON (source, entity, key, seg)
         source, entity, key, partition, seg, cur_version, hash, data, source_fields, raw_line, run_id,
         min(observed_at) OVER g AS valid_from,
         max(observed_at) OVER g AS last_seen
  FROM segments
  WHERE seg >= 1
  WINDOW g AS (PARTITION BY source, entity, key, seg)
  ORDER BY source, entity, key, seg, observed_at
) s

-- name: previous_complete_count
-- The record count of the last complete, trusted crawl of this partition before this one.
SELECT records
FROM staging.crawl_partitions
WHERE source = $1 AND partition = $2 AND complete AND NOT collapsed AND finished_at < $3 AND raw_file_id <> $4
ORDER BY finished_at DESC
LIMIT 1

-- name: record_partition
INSERT INTO staging.crawl_partitions (raw_file_id, source, partition, records, complete, collapsed, started_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (raw_file_id, partition) DO NOTHING

-- name: find_delisted
-- Current listed versions of a completely crawled partition that the crawl did not see. A key seen
-- after this crawl started (by it or by a later one) has a newer last_seen_at and is kept; so is a
-- key whose record this crawl saw but could not validate.
CREATE TEMP TABLE gone ON COMMIT DROP AS
SELECT v.id, v.source, v.entity, v.key, v.partition, v.version
FROM staging.versions v
WHERE v.source = $1 AND v.partition = $2 AND v.valid_to IS NULL AND NOT v.delisted
  AND v.last_seen_at < $3
  AND NOT EXISTS (
    SELECT 1 FROM staging.quarantine q
    WHERE q.raw_file_id = $4 AND q.source = v.source AND q.entity = v.entity AND q.key = v.key
  )

-- name: close_delisted
UPDATE staging.versions v SET valid_to = $1 FROM gone g WHERE v.id = g.id

-- name: insert_delisted
INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, delisted, data, source_fields,
                              valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id)
SELECT source, entity, key, partition, version + 1, $1, $2, true, NULL, NULL, $3, NULL, $3, $4, $5, $6
FROM gone

-- name: drop_gone
DROP TABLE gone
