-- Up Migration

-- A sighting stands for "every key it covers was seen at or before seen_at": the crawl's end, not
-- each key's own time (which keeps the daily unchanged ingest free of row writes). Two crawls of a
-- partition whose windows overlap need the keys' own times: a line of the other crawl observed
-- inside this window may be newer than the key's real sighting. So a sighting keeps where its
-- window starts, and once an overlapping file is ingested its keys' own times are written into
-- their key_state rows (from its raw file), after which it covers none of them (`exact`).
ALTER TABLE staging.partition_sightings ADD COLUMN window_start timestamptz;
UPDATE staging.partition_sightings w
SET window_start = coalesce(
  (SELECT least(min(cp.started_at), w.seen_at) FROM staging.crawl_partitions cp WHERE cp.raw_file_id = w.raw_file_id AND cp.partition = w.partition),
  '-infinity')
WHERE window_start IS NULL;
ALTER TABLE staging.partition_sightings ALTER COLUMN window_start SET NOT NULL;
ALTER TABLE staging.partition_sightings ADD COLUMN exact boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN staging.partition_sightings.window_start IS 'The earlier of the crawl''s start and its first observation in the partition: every key it covers was seen in [window_start, seen_at].';
COMMENT ON COLUMN staging.partition_sightings.exact IS 'True once the keys the crawl saw carry their own observation times in key_state (written when a crawl overlapping this window was ingested): the sighting then covers none of them.';

-- Down Migration

-- Folds what an exact sighting would have said back: nothing, its keys' rows already hold their times.
ALTER TABLE staging.partition_sightings DROP COLUMN exact;
ALTER TABLE staging.partition_sightings DROP COLUMN window_start;
