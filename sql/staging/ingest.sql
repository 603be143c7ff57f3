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
  volatile       text[],
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
-- Splits each key's observations newer than its last_seen_at into runs of equal content, on narrow
-- rows (no data). Segment 0 continues the current version; segments 1.. become new versions.
-- Observations no newer than the key's last_seen_at are already reflected (re-ingest, replay).
CREATE TEMP TABLE segments ON COMMIT DROP AS
WITH obs AS (
  SELECT DISTINCT ON (source, entity, key, observed_at) raw_line, source, entity, key, partition, observed_at, hash
  FROM incoming
  WHERE reason IS NULL
  ORDER BY source, entity, key, observed_at, hash DESC
), fresh AS (
  SELECT o.*, s.version AS cur_version, s.last_seen_at AS cur_seen, s.hash AS cur_hash
  FROM obs o
  LEFT JOIN staging.key_state s USING (source, entity, key)
  WHERE s.key IS NULL OR o.observed_at > s.last_seen_at
), marked AS (
  SELECT f.*, (f.hash IS DISTINCT FROM coalesce(lag(f.hash) OVER w, f.cur_hash))::int AS starts
  FROM fresh f
  WINDOW w AS (PARTITION BY source, entity, key ORDER BY observed_at)
), numbered AS (
  SELECT m.*, sum(m.starts) OVER (PARTITION BY source, entity, key ORDER BY observed_at) AS seg
  FROM marked m
)
SELECT n.*, max(n.observed_at) OVER (PARTITION BY source, entity, key, seg) AS seg_last_seen
FROM numbered n

-- name: summarise_keys
-- One row per key seen fresh: its last observation carries the final segment, hash and last_seen_at.
CREATE TEMP TABLE key_changes ON COMMIT DROP AS
SELECT DISTINCT ON (source, entity, key)
       source, entity, key, partition, cur_version, cur_seen, seg AS new_versions, hash AS last_hash, observed_at AS last_seen
FROM segments
ORDER BY source, entity, key, observed_at DESC

-- name: close_changed
-- Closes the current version of keys that changed, fixing its final last_seen_at.
UPDATE staging.versions v
SET valid_to = c.changed_at,
    last_seen_at = greatest(c.cur_seen, coalesce(c.seen_unchanged, c.cur_seen))
FROM (
  SELECT s.source, s.entity, s.key, s.cur_version, s.cur_seen,
         max(s.observed_at) FILTER (WHERE s.seg = 0) AS seen_unchanged,
         min(s.observed_at) FILTER (WHERE s.seg = 1) AS changed_at
  FROM segments s
  JOIN key_changes k USING (source, entity, key)
  WHERE k.new_versions > 0 AND k.cur_version IS NOT NULL
  GROUP BY s.source, s.entity, s.key, s.cur_version, s.cur_seen
) c
WHERE v.source = c.source AND v.entity = c.entity AND v.key = c.key AND v.version = c.cur_version

-- name: insert_versions
INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, source_fields, volatile,
                              valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id)
SELECT s.source, s.entity, s.key, s.partition, coalesce(s.cur_version, 0) + s.seg, s.hash, $2, i.data, i.source_fields, i.volatile,
       s.observed_at, lead(s.observed_at) OVER (PARTITION BY s.source, s.entity, s.key ORDER BY s.seg), s.seg_last_seen,
       $1, s.raw_line, i.run_id
FROM segments s
JOIN incoming i USING (raw_line)
WHERE s.starts = 1

-- name: update_key_state
-- An unchanged key only moves last_seen_at: a HOT update of a narrow row.
UPDATE staging.key_state s
SET last_seen_at = k.last_seen,
    version = k.cur_version + k.new_versions,
    hash = k.last_hash,
    delisted = CASE WHEN k.new_versions > 0 THEN false ELSE s.delisted END
FROM key_changes k
WHERE k.cur_version IS NOT NULL AND s.source = k.source AND s.entity = k.entity AND s.key = k.key

-- name: insert_key_state
INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at)
SELECT source, entity, key, partition, new_versions, last_hash, $1, false, last_seen
FROM key_changes
WHERE cur_version IS NULL

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
-- Listed keys of a completely crawled partition that the crawl did not see. A key seen after this
-- crawl started (by it or by a later one) has a newer last_seen_at and is kept; so is a key whose
-- record this crawl saw but could not validate.
CREATE TEMP TABLE gone ON COMMIT DROP AS
SELECT s.source, s.entity, s.key, s.partition, s.version, s.last_seen_at
FROM staging.key_state s
WHERE s.source = $1 AND s.partition = $2 AND NOT s.delisted AND s.last_seen_at < $3
  AND NOT EXISTS (
    SELECT 1 FROM staging.quarantine q
    WHERE q.raw_file_id = $4 AND q.source = s.source AND q.entity = s.entity AND q.key = s.key
  )

-- name: close_delisted
UPDATE staging.versions v
SET valid_to = $1, last_seen_at = g.last_seen_at
FROM gone g
WHERE v.source = g.source AND v.entity = g.entity AND v.key = g.key AND v.version = g.version

-- name: insert_delisted
INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, delisted, data, source_fields,
                              valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id)
SELECT source, entity, key, partition, version + 1, $1, $2, true, NULL, NULL, $3, NULL, $3, $4, $5, $6
FROM gone

-- name: mark_delisted
UPDATE staging.key_state s
SET version = g.version + 1, hash = $1, delisted = true, last_seen_at = $2
FROM gone g
WHERE s.source = g.source AND s.entity = g.entity AND s.key = g.key

-- name: drop_gone
DROP TABLE gone
