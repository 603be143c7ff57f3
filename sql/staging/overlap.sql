-- Crawls of one partition whose windows overlap (outside producers, landing files, a slow crawl
-- beside a quick one). A sighting says its keys were seen by seen_at, not when: inside its window
-- that is not enough to order another file's observations, so the keys' own times are read from
-- the sighting's raw file into their rows first (src/staging/overlapping-sightings.ts). Runs under
-- the file's sources' locks, in its ingest transaction, before change detection.

-- name: overlapped_sightings
-- The sightings of this file's sources whose window (window_start, seen_at] holds a time this file
-- decides at: a line's observation, or a complete crawl's start (for delisting). $1, $2 (parallel):
-- per source, the earliest such times of the file; $3, $4: the latest. Neither the file's own
-- sighting ($5), nor one whose keys already carry their own times.
SELECT w.source, w.partition, w.apply_seq::text AS apply_seq, f.path
FROM staging.partition_sightings w
JOIN staging.raw_files f ON f.id = w.raw_file_id
JOIN (SELECT source, min(at::timestamptz) AS lo FROM unnest($1::text[], $2::text[]) AS o(source, at) GROUP BY source) a ON a.source = w.source
JOIN (SELECT source, max(at::timestamptz) AS hi FROM unnest($3::text[], $4::text[]) AS o(source, at) GROUP BY source) b ON b.source = w.source
WHERE NOT w.exact AND w.raw_file_id <> $5 AND a.lo <= w.seen_at AND b.hi > w.window_start
ORDER BY w.source, w.partition

-- name: create_sighted
-- A sighting crawl's valid observations, read again from its raw file.
CREATE TEMP TABLE sighted (
  entity       text NOT NULL,
  key          text NOT NULL,
  observed_at  timestamptz NOT NULL
) ON COMMIT DROP

-- name: write_sighted_times
-- The keys sighting ($1 source, $2 partition, applied as $3) covers take their own last observation
-- in its crawl: what the crawl's ingest would have written had it not left them to the sighting.
UPDATE staging.key_state s
SET last_seen_at = greatest(s.last_seen_at, x.seen_at)
FROM (SELECT entity, key, max(observed_at) AS seen_at FROM sighted GROUP BY entity, key) x
WHERE s.source = $1 AND s.partition = $2 AND s.entity = x.entity AND s.key = x.key AND NOT s.delisted AND s.written_seq < $3

-- name: uncover_sighted
-- From here the sighting covers none of its keys: each row holds its own time (a key the crawl did
-- not see, spared because another file saw it later, already held its own).
UPDATE staging.key_state
SET written_seq = $3
WHERE source = $1 AND partition = $2 AND NOT delisted AND written_seq < $3

-- name: mark_exact
UPDATE staging.partition_sightings SET exact = true WHERE source = $1 AND partition = $2

-- name: drop_sighted
DROP TABLE sighted

-- name: copy_sighted
COPY sighted (entity, key, observed_at) FROM STDIN;
