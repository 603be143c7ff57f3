-- Change detection, set-based. The ingest runner COPYs a raw file's lines into the temp table
-- `incoming`, then runs these statements in order inside one transaction, under its sources' locks
-- (src/db/locks.ts). A source's first crawl is COPYed straight into staging.versions instead.

-- name: create_incoming
-- data and source_fields are JSON text: Postgres parses them only for the lines that become
-- versions. A file of a source with known keys leaves them out (most of its lines are unchanged):
-- the lines that become versions bring theirs into `payload` later, read again from the file at
-- their bytes [line_start, line_end). `seen_before` is Node's hint that the line's key hash came
-- earlier in the file. `line` keeps a quarantined line as it was read. `volatile` is a text[]
-- literal written by Node, cast for the lines that become versions only (parsing it on every row
-- took a tenth of the COPY's time).
CREATE TEMP TABLE incoming (
  raw_line       integer NOT NULL,
  line_start     bigint,
  line_end       bigint,
  source         text,
  entity         text,
  key            text,
  key_hash       bigint,
  seen_before    boolean,
  partition      text,
  observed_at    timestamptz,
  hash           bytea,
  data           text,
  source_fields  text,
  volatile       text,
  run_id         text,
  reason         text,
  line           text
) ON COMMIT DROP;
CREATE TEMP TABLE payload (
  raw_line       integer NOT NULL,
  data           text NOT NULL,
  source_fields  text
) ON COMMIT DROP;

-- name: quarantine_invalid
-- Invalid lines are kept with their reason and origin; replays do not duplicate them. `fresh`
-- counts those whose source, key and reason no earlier file quarantined: a known-unreadable item
-- seen again day after day is counted, but is not news (the outer query sees the table as it was
-- before this insert).
WITH ins AS (
  INSERT INTO staging.quarantine (raw_file_id, raw_line, run_id, source, entity, key, reason, line)
  SELECT $1, raw_line, run_id, source, entity, key, reason, line
  FROM incoming
  WHERE reason IS NOT NULL
  ON CONFLICT (raw_file_id, raw_line) DO NOTHING
  RETURNING source, key, reason
)
SELECT count(*)::int AS quarantined,
       count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM staging.quarantine q
         WHERE staging.quarantine_identity(q.source, q.key, q.reason) = staging.quarantine_identity(ins.source, ins.key, ins.reason)
       ))::int AS fresh
FROM ins

-- name: find_repeated
-- Keys observed more than once in this file take the general (windowed) path below. Node marks
-- every line whose key hash may have come before (never missing one, often a new key too); the
-- marked hashes that do come twice are the repeated ones. The key hash stands for the key: a
-- collision only sends a few more keys that way, which is right for any key.
CREATE TEMP TABLE repeated ON COMMIT DROP AS
SELECT i.key_hash
FROM incoming i
WHERE i.key_hash IN (SELECT key_hash FROM incoming WHERE seen_before)
GROUP BY i.key_hash
HAVING count(*) > 1

-- name: count_keys
-- How many keys the file's sources and entities ($1, $2: parallel arrays) have (staging.key_counts,
-- kept by triggers on key_state). None: nothing to compare with (a source's first crawl, a
-- rebuild), and the lookups below are skipped. Few against the file's lines: looking each line up
-- in the index beats hashing the sources' key states.
SELECT coalesce(sum(c.keys), 0)::bigint AS n
FROM unnest($1::text[], $2::text[]) AS f(source, entity)
JOIN staging.key_counts c ON c.source = f.source AND c.entity = f.entity

-- name: match
-- One pass over the file's lines against their keys' states. The daily case, a key seen once in the
-- file with the content it has, lands no version; and nothing at all when the partition's sighting
-- covers it (a line of a partition that this complete, trusted crawl of source $2 sees, $3: the
-- crawl's ingest records that sighting): such lines are left out. Kept: every other valid line
-- newer than its key's last sighting (its row's or its partition's, staging.seen_at), with the
-- key's current state (none for a new key). `touch` marks the unchanged ones whose sighting only
-- their key's row can record. Lines no newer than that (a re-ingest, a replay) are already
-- reflected. $1: the file's sources, so that a hash join reads their key states only.
-- The same join yields the delisting candidates (`gone`): listed keys of source $4's completely
-- crawled partitions ($5) that no line of the file names (a quarantined line names its key too),
-- last seen before the crawl started ($6). With $7 false (few lines against many keys), key states
-- come by index probes for the file's keys only, and there are no candidates.
CREATE TEMP TABLE matched ON COMMIT DROP AS
SELECT raw_line, line_start, line_end, source, entity, key, partition, observed_at, hash, volatile, run_id,
       cur_version, cur_seen, cur_hash, repeated, unchanged AS touch, unseen AS gone
FROM (
  SELECT i.raw_line, i.line_start, i.line_end, coalesce(i.source, s.source) AS source, coalesce(i.entity, s.entity) AS entity,
         coalesce(i.key, s.key) AS key, CASE WHEN i.raw_line IS NULL THEN s.partition ELSE i.partition END AS partition,
         i.observed_at, i.hash, i.volatile, i.run_id, i.reason, s.delisted AS cur_delisted,
         s.version AS cur_version,
         staging.seen_at(s.last_seen_at, s.delisted, s.written_seq, w.apply_seq, w.seen_at) AS cur_seen, s.hash AS cur_hash,
         s.key IS NULL AS new_key,
         i.raw_line IS NULL AS unseen,
         r.key_hash IS NOT NULL AS repeated,
         (s.hash = i.hash AND r.key_hash IS NULL) IS TRUE AS unchanged,
         (i.source = $2 AND i.partition = ANY($3::text[]) AND s.partition = i.partition) IS TRUE AS covered
  FROM incoming i
  FULL JOIN (
    SELECT k.*
    FROM staging.key_state k
    WHERE k.source = ANY($1::text[]) AND ($7::boolean OR (k.source, k.entity, k.key) IN (SELECT source, entity, key FROM incoming))
  ) s ON s.source = i.source AND s.entity = i.entity AND s.key = i.key
  LEFT JOIN staging.partition_sightings w ON w.source = s.source AND w.partition = s.partition
  LEFT JOIN repeated r ON r.key_hash = i.key_hash
) o
WHERE CASE WHEN unseen THEN source = $4 AND partition = ANY($5::text[]) AND NOT cur_delisted AND cur_seen < $6
           ELSE reason IS NULL AND (new_key OR observed_at > cur_seen) AND NOT (unchanged AND covered) END

-- name: count_matched
-- What `match` kept: sightings to write (`touch`), lines to compare, and delisting candidates.
SELECT count(*) FILTER (WHERE touch)::int AS touch, count(*) FILTER (WHERE NOT touch AND NOT gone)::int AS compare,
       count(*) FILTER (WHERE gone)::int AS gone
FROM matched

-- name: touch_unchanged
-- Writes the sightings `match` marked into their keys' rows (a HOT update of a narrow row),
-- stamped with this apply's sequence number ($1).
UPDATE staging.key_state s
SET last_seen_at = m.observed_at, written_seq = $1
FROM matched m
WHERE m.touch AND s.source = m.source AND s.entity = m.entity AND s.key = m.key

-- name: match_new
-- `match` for files whose sources have no known key: every observation is new.
CREATE TEMP TABLE matched ON COMMIT DROP AS
SELECT i.raw_line, i.line_start, i.line_end, i.source, i.entity, i.key, i.partition, i.observed_at, i.hash, i.volatile, i.run_id,
       NULL::integer AS cur_version, NULL::timestamptz AS cur_seen, NULL::bytea AS cur_hash, r.key_hash IS NOT NULL AS repeated,
       false AS touch, false AS gone
FROM incoming i
LEFT JOIN repeated r ON r.key_hash = i.key_hash
WHERE i.reason IS NULL

-- name: segment
-- What remains: new keys, changed keys and repeated keys. Each key's observations are split into
-- runs of equal content. Segment 0 continues the current version; segments 1.. become new versions.
-- A key seen once needs no window: it is one new segment, and its last observation.
CREATE TEMP TABLE segments ON COMMIT DROP AS
SELECT m.raw_line, m.line_start, m.line_end, m.source, m.entity, m.key, m.partition, m.observed_at, m.hash, m.volatile, m.run_id,
       m.cur_version, m.cur_seen, m.repeated, 1 AS starts, 1::bigint AS seg, m.observed_at AS seg_last_seen, true AS last_of_key
FROM matched m
WHERE NOT m.repeated AND NOT m.touch AND NOT m.gone
UNION ALL
SELECT n.raw_line, n.line_start, n.line_end, n.source, n.entity, n.key, n.partition, n.observed_at, n.hash, n.volatile, n.run_id,
       n.cur_version, n.cur_seen, true, n.starts, n.seg, max(n.observed_at) OVER (PARTITION BY n.source, n.entity, n.key, n.seg),
       n.observed_at = max(n.observed_at) OVER (PARTITION BY n.source, n.entity, n.key)
FROM (
  SELECT k.*, sum(k.starts) OVER (PARTITION BY k.source, k.entity, k.key ORDER BY k.observed_at) AS seg
  FROM (
    SELECT o.*, (o.hash IS DISTINCT FROM coalesce(lag(o.hash) OVER w, o.cur_hash))::int AS starts
    FROM (
      -- Two observations of a key at one instant (records of one page share their time): the later
      -- line is the newer observation (rule 6's tie-break).
      SELECT DISTINCT ON (m.source, m.entity, m.key, m.observed_at) m.*
      FROM matched m
      WHERE m.repeated
      ORDER BY m.source, m.entity, m.key, m.observed_at, m.raw_line DESC
    ) o
    WINDOW w AS (PARTITION BY o.source, o.entity, o.key ORDER BY o.observed_at)
  ) k
) n

-- name: declare_payload_lines
-- The lines that become versions, for a file staged without data: Node reads them again.
DECLARE payload_lines NO SCROLL CURSOR FOR
SELECT s.raw_line, s.line_start, s.line_end
FROM segments s
WHERE NOT s.repeated OR s.starts = 1
ORDER BY s.raw_line

-- name: summarise_keys
-- One row per key in segments: its last observation carries the final segment, hash and last_seen_at.
CREATE TEMP TABLE key_changes ON COMMIT DROP AS
SELECT source, entity, key, partition, cur_version, cur_seen, seg AS new_versions, hash AS last_hash, observed_at AS last_seen
FROM segments
WHERE last_of_key

-- name: close_changed
-- Closes the current version of keys that changed, fixing its final last_seen_at.
UPDATE staging.versions v
SET valid_to = c.changed_at, last_seen_at = c.last_seen
FROM (
  SELECT source, entity, key, cur_version, cur_seen AS last_seen, observed_at AS changed_at
  FROM segments
  WHERE NOT repeated AND cur_version IS NOT NULL
  UNION ALL
  SELECT source, entity, key, cur_version,
         greatest(cur_seen, coalesce(max(observed_at) FILTER (WHERE seg = 0), cur_seen)),
         min(observed_at) FILTER (WHERE seg = 1)
  FROM segments
  WHERE repeated AND cur_version IS NOT NULL
  GROUP BY source, entity, key, cur_version, cur_seen
  HAVING max(seg) > 0
) c
WHERE v.source = c.source AND v.entity = c.entity AND v.key = c.key AND v.version = c.cur_version

-- name: insert_versions
-- Postgres parses the JSON here, for the lines that become versions only: their data is in
-- `payload` for a file staged without it, else in `incoming` ($3: read it there; when false, the
-- planner drops that branch and the file's lines are not scanned again). A version ends where the
-- key's next segment in this file starts.
INSERT INTO staging.versions (source, entity, key, partition, version, hash, hash_version, data, source_fields, volatile,
                              valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id)
SELECT s.source, s.entity, s.key, s.partition, coalesce(s.cur_version, 0) + s.seg, s.hash, $2,
       d.data::jsonb, d.source_fields::jsonb, s.volatile::text[],
       s.observed_at, s.valid_to, s.seg_last_seen, $1, s.raw_line, s.run_id
FROM (
  SELECT s.*, NULL::timestamptz AS valid_to FROM segments s WHERE NOT s.repeated
  UNION ALL
  SELECT s.*, lead(s.observed_at) OVER (PARTITION BY s.source, s.entity, s.key ORDER BY s.seg)
  FROM segments s
  WHERE s.repeated AND s.starts = 1
) s
JOIN (
  SELECT raw_line, data, source_fields FROM payload
  UNION ALL
  SELECT raw_line, data, source_fields FROM incoming WHERE $3::boolean
) d USING (raw_line)

-- name: insert_first_key_state_from_versions
-- The key states of a first crawl's file that was COPYed straight into versions: its rows are the
-- ones above id $1 (the highest before the COPY) from raw file $2; $3 is this apply's sequence number.
INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at, written_seq)
SELECT source, entity, key, partition, 1, hash, hash_version, false, last_seen_at, $3
FROM staging.versions
WHERE id > $1 AND raw_file_id = $2

-- name: update_key_state
-- Keys in segments: their new version number, hash and last_seen_at ($1: this apply's sequence number).
UPDATE staging.key_state s
SET last_seen_at = k.last_seen,
    written_seq = $1,
    version = k.cur_version + k.new_versions,
    hash = k.last_hash,
    delisted = CASE WHEN k.new_versions > 0 THEN false ELSE s.delisted END
FROM key_changes k
WHERE k.cur_version IS NOT NULL AND s.source = k.source AND s.entity = k.entity AND s.key = k.key

-- name: insert_key_state
INSERT INTO staging.key_state (source, entity, key, partition, version, hash, hash_version, delisted, last_seen_at, written_seq)
SELECT source, entity, key, partition, new_versions, last_hash, $1, false, last_seen, $2
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

-- name: new_sightings
-- The partitions ($2) of source $1 that this complete, trusted crawl sees later than their current
-- sighting, and when: its last valid observation there (its finish, $3, if this part of the file
-- has none), and where its window there starts: the earlier of its start ($6) and its first
-- observation there. Node noted the latest and earliest observation times per partition ($4, $5 and
-- $7, $8: parallel arrays, a partition's ties at that millisecond all given). A replay, or an older
-- crawl ingested late, is no new sighting. Times are text: Node's Date would drop their microseconds.
SELECT p.partition, coalesce(m.seen_at, $3)::text AS seen_at, least(f.first_at, $6::timestamptz)::text AS window_start
FROM unnest($2::text[]) AS p(partition)
LEFT JOIN (
  SELECT partition, max(at::timestamptz) AS seen_at FROM unnest($4::text[], $5::text[]) AS o(partition, at) GROUP BY partition
) m USING (partition)
LEFT JOIN (
  SELECT partition, min(at::timestamptz) AS first_at FROM unnest($7::text[], $8::text[]) AS o(partition, at) GROUP BY partition
) f USING (partition)
LEFT JOIN staging.partition_sightings w ON w.source = $1 AND w.partition = p.partition
WHERE w.seen_at IS NULL OR w.seen_at < coalesce(m.seen_at, $3)

-- name: find_delisted
-- Listed keys of the completely crawled partitions ($2) that the crawl did not see, when `match`
-- could not find them in its join. A key seen after this crawl started (by a file ingested before)
-- has a newer last sighting and is kept. The crawl's own sightings are its lines, in `incoming` (or
-- written to key_state, by an earlier part of a resumed file).
CREATE TEMP TABLE gone ON COMMIT DROP AS
SELECT s.source, s.entity, s.key, s.partition, s.version, s.last_seen_at
FROM (
  SELECT s.source, s.entity, s.key, s.partition, s.version,
         staging.seen_at(s.last_seen_at, s.delisted, s.written_seq, w.apply_seq, w.seen_at) AS last_seen_at
  FROM staging.key_state s
  LEFT JOIN staging.partition_sightings w ON w.source = s.source AND w.partition = s.partition
  WHERE s.source = $1 AND s.partition = ANY($2::text[]) AND NOT s.delisted
) s
WHERE s.last_seen_at < $3
  AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.source = s.source AND i.entity = s.entity AND i.key = s.key)

-- name: gone_from_matched
-- The delisting candidates `match` found.
CREATE TEMP TABLE gone ON COMMIT DROP AS
SELECT source, entity, key, partition, cur_version AS version, cur_seen AS last_seen_at
FROM matched
WHERE gone

-- name: spare_quarantined
-- A key whose record this raw file ($1) saw but could not validate, in an earlier part of a resumed
-- file, is not delisted.
DELETE FROM gone g
USING staging.quarantine q
WHERE q.raw_file_id = $1 AND q.source = g.source AND q.entity = g.entity AND q.key = g.key

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
SET version = g.version + 1, hash = $1, delisted = true, last_seen_at = $2, written_seq = $3
FROM gone g
WHERE s.source = g.source AND s.entity = g.entity AND s.key = g.key

-- name: drop_gone
DROP TABLE gone

-- name: uncover_quarantined
-- A key whose line this raw file ($2) quarantined was not seen valid: the crawl's sighting must not
-- cover it (a retried line would look older than its key's last sighting, and be dropped).
UPDATE staging.key_state s
SET written_seq = $1
FROM staging.quarantine q
WHERE q.raw_file_id = $2 AND q.key IS NOT NULL AND s.source = q.source AND s.entity = q.entity AND s.key = q.key

-- name: record_sightings
-- This crawl's sightings of the partitions ($2, when: $3, from: $6) of source $1, applied as
-- sequence number $4 from raw file $5. A later sighting is never replaced by an earlier one.
INSERT INTO staging.partition_sightings (source, partition, seen_at, window_start, apply_seq, raw_file_id)
SELECT $1, p.partition, p.seen_at, p.window_start, $4, $5
FROM unnest($2::text[], $3::timestamptz[], $6::timestamptz[]) AS p(partition, seen_at, window_start)
ON CONFLICT (source, partition) DO UPDATE
SET seen_at = EXCLUDED.seen_at, window_start = EXCLUDED.window_start, apply_seq = EXCLUDED.apply_seq,
    raw_file_id = EXCLUDED.raw_file_id, exact = false
WHERE staging.partition_sightings.seen_at < EXCLUDED.seen_at

-- name: copy_incoming
-- The columns of `incoming` in the order src/staging/incoming-row.ts writes its COPY rows.
COPY incoming (raw_line, line_start, line_end, source, entity, key, key_hash, seen_before, partition, observed_at, hash, data,
               source_fields, volatile, run_id, reason, line) FROM STDIN

-- name: copy_first_versions
-- A first crawl's records straight into versions, in the order src/staging/incoming-row.ts writes them.
COPY staging.versions (source, entity, key, partition, version, hash, hash_version, data, source_fields, volatile,
                       valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id) FROM STDIN

-- name: hash_version
SELECT hash_version FROM staging.hash_state;

-- name: next_apply_seq
SELECT nextval('staging.apply_seq') AS seq;

-- name: drop_change_tables
DROP TABLE IF EXISTS repeated, matched, segments, key_changes;

-- name: fetch_payload_lines
FETCH 50000 FROM payload_lines;

-- name: copy_payload
COPY payload (raw_line, data, source_fields) FROM STDIN;

-- name: close_payload_lines
CLOSE payload_lines;

-- name: max_version_id
SELECT coalesce(max(id), 0) AS id FROM staging.versions;

-- name: count_keyless_quarantined
-- A record whose key could not be told may be any key.
SELECT count(*)::int AS n FROM staging.quarantine WHERE raw_file_id = $1 AND key IS NULL;

-- name: claim_ledger_row
-- The ledger row stays locked until commit: a second ingest of the file waits, then reads the offset reached.
INSERT INTO staging.raw_files (path) VALUES ($1)
ON CONFLICT (path) DO UPDATE SET path = EXCLUDED.path
RETURNING id, bytes_ingested, lines_ingested;

-- name: advance_ledger_row
UPDATE staging.raw_files
SET bytes_ingested = greatest(bytes_ingested, $2), lines_ingested = greatest(lines_ingested, $3),
    source = coalesce(source, $4), run_id = coalesce(run_id, $5),
    finished = finished OR $6, complete = complete OR $7, last_ingested_at = now()
WHERE id = $1;
