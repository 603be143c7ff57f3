-- Up Migration

-- A complete, trusted crawl of a partition sees every listed key of it (one it did not see, it
-- delists). So its unchanged keys need no write of their own: one row per source partition says
-- which crawl saw them last, and a key's last_seen_at is the later of its own and that crawl's.
-- Before, every unchanged key of a daily crawl took a row update (half the cost of its ingest).
--
-- Which keys a sighting covers is told by the order of applies: every ingest that writes a
-- source takes the next apply_seq under that source's lock, and stamps the key_state rows it
-- writes with it. A sighting covers the keys written before the crawl was applied (and not
-- delisted): the crawl's delisting pass saw each of them in its file, or delisted it.
CREATE SEQUENCE staging.apply_seq;
COMMENT ON SEQUENCE staging.apply_seq IS 'Order of ingest applies; taken under the source''s lock.';

ALTER TABLE staging.key_state ADD COLUMN written_seq bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN staging.key_state.written_seq IS 'apply_seq of the ingest that last wrote this row: a sighting applied later covers it.';
COMMENT ON COLUMN staging.key_state.last_seen_at IS 'Latest observation of the key written to this row; staging.key_seen adds its partition''s sighting.';

CREATE TABLE staging.partition_sightings (
  source       text NOT NULL,
  partition    text NOT NULL,
  seen_at      timestamptz NOT NULL,
  apply_seq    bigint NOT NULL,
  raw_file_id  bigint NOT NULL,
  PRIMARY KEY (source, partition)
);
COMMENT ON TABLE staging.partition_sightings IS 'Per source partition, the latest complete, trusted crawl: it saw every listed key of the partition written before it was applied.';
COMMENT ON COLUMN staging.partition_sightings.source IS 'Source crawled.';
COMMENT ON COLUMN staging.partition_sightings.partition IS 'Partition crawled.';
COMMENT ON COLUMN staging.partition_sightings.seen_at IS 'The crawl''s last observation in the partition: when the keys it covers were last seen, to the run.';
COMMENT ON COLUMN staging.partition_sightings.apply_seq IS 'apply_seq of the crawl''s ingest: it covers key_state rows with a lower written_seq.';
COMMENT ON COLUMN staging.partition_sightings.raw_file_id IS 'Raw file of the crawl.';

-- A key's last sighting, from its own row and its partition's sighting (w: a partition_sightings
-- row or nulls). Inlined by the planner.
CREATE FUNCTION staging.seen_at(last_seen_at timestamptz, delisted boolean, written_seq bigint, w_apply_seq bigint, w_seen_at timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN NOT delisted AND w_apply_seq > written_seq THEN greatest(last_seen_at, w_seen_at) ELSE last_seen_at END
$$;
COMMENT ON FUNCTION staging.seen_at(timestamptz, boolean, bigint, bigint, timestamptz) IS 'A key''s last sighting: its key_state row''s, or its partition''s sighting when that covers it.';

CREATE VIEW staging.key_seen AS
SELECT s.source, s.entity, s.key, staging.seen_at(s.last_seen_at, s.delisted, s.written_seq, w.apply_seq, w.seen_at) AS last_seen_at
FROM staging.key_state s
LEFT JOIN staging.partition_sightings w ON w.source = s.source AND w.partition = s.partition;
COMMENT ON VIEW staging.key_seen IS 'When each key was last seen: its own last_seen_at, or the last complete crawl of its partition that covers it.';
COMMENT ON COLUMN staging.key_seen.source IS 'Source of the key.';
COMMENT ON COLUMN staging.key_seen.entity IS 'Entity of the key.';
COMMENT ON COLUMN staging.key_seen.key IS 'Natural key.';
COMMENT ON COLUMN staging.key_seen.last_seen_at IS 'Latest observation of the key (to the crawl run, for keys a complete crawl found unchanged).';

CREATE OR REPLACE VIEW staging.version_history AS
SELECT v.id, v.source, v.entity, v.key, v.partition, v.version, v.hash, v.hash_version, v.delisted, v.data, v.source_fields,
       v.volatile, v.valid_from, v.valid_to,
       CASE WHEN v.valid_to IS NULL THEN coalesce(s.last_seen_at, v.last_seen_at) ELSE v.last_seen_at END AS last_seen_at,
       v.raw_file_id, v.raw_line, v.run_id, v.ingested_at
FROM staging.versions v
LEFT JOIN staging.key_seen s ON v.valid_to IS NULL AND s.source = v.source AND s.entity = v.entity AND s.key = v.key;
COMMENT ON TABLE staging.versions IS 'Every distinct version of every record (SCD2 over observations); valid_to is null on the current version. For the current version, staging.key_seen has the live last_seen_at.';
COMMENT ON COLUMN staging.versions.last_seen_at IS 'Latest observation while this version was current (live value in staging.key_seen for the current one).';

-- Down Migration

CREATE OR REPLACE VIEW staging.version_history AS
SELECT v.id, v.source, v.entity, v.key, v.partition, v.version, v.hash, v.hash_version, v.delisted, v.data, v.source_fields,
       v.volatile, v.valid_from, v.valid_to,
       CASE WHEN v.valid_to IS NULL THEN coalesce(s.last_seen_at, v.last_seen_at) ELSE v.last_seen_at END AS last_seen_at,
       v.raw_file_id, v.raw_line, v.run_id, v.ingested_at
FROM staging.versions v
LEFT JOIN staging.key_state s ON v.valid_to IS NULL AND s.source = v.source AND s.entity = v.entity AND s.key = v.key;
-- Folds each covered key's sighting into its own row first, so no last_seen_at goes back.
UPDATE staging.key_state s
SET last_seen_at = staging.seen_at(s.last_seen_at, s.delisted, s.written_seq, w.apply_seq, w.seen_at)
FROM staging.partition_sightings w
WHERE w.source = s.source AND w.partition = s.partition AND w.apply_seq > s.written_seq AND NOT s.delisted;
DROP VIEW staging.key_seen;
DROP FUNCTION staging.seen_at(timestamptz, boolean, bigint, bigint, timestamptz);
DROP TABLE staging.partition_sightings;
ALTER TABLE staging.key_state DROP COLUMN written_seq;
DROP SEQUENCE staging.apply_seq;
COMMENT ON COLUMN staging.key_state.last_seen_at IS 'Latest observation of the key.';
COMMENT ON TABLE staging.versions IS 'Every distinct version of every record (SCD2 over observations); valid_to is null on the current version. For the current version, key_state has the live last_seen_at.';
COMMENT ON COLUMN staging.versions.last_seen_at IS 'Latest observation while this version was current (live value in key_state for the current one).';
