-- Up Migration

-- Ingest compares a file's lines with its sources' key states either by hashing all of them or by
-- probing the index once per line, and chooses by how many keys the sources have. Counting them
-- walked the index on every file (60-100 ms of a 200,000-line file); key states are only ever
-- added, so ingest keeps the count where it adds them, under the source's lock.
CREATE TABLE staging.key_counts (
  source  text NOT NULL,
  entity  text NOT NULL,
  keys    bigint NOT NULL CHECK (keys >= 0),
  PRIMARY KEY (source, entity)
);
COMMENT ON TABLE staging.key_counts IS 'How many keys (rows of staging.key_state) each source and entity has; kept by ingest.';
COMMENT ON COLUMN staging.key_counts.source IS 'Source of the keys.';
COMMENT ON COLUMN staging.key_counts.entity IS 'Entity of the keys.';
COMMENT ON COLUMN staging.key_counts.keys IS 'Number of keys.';

INSERT INTO staging.key_counts (source, entity, keys)
SELECT source, entity, count(*) FROM staging.key_state GROUP BY source, entity;

-- Down Migration

DROP TABLE staging.key_counts;
