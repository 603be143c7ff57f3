-- Up Migration

-- Ingest compares a file's lines with its sources' key states either by hashing all of them or by
-- probing the index once per line, and chooses by how many keys the sources have; a source with
-- none is compared with nothing. Counting them walked the index on every file (60-100 ms of a
-- 200,000-line file). Triggers keep the count, so that every writer of key_state keeps it right
-- (a count of none for a source that has keys would take every line for a new key); they cost a
-- first crawl ~0.2 µs a key.
CREATE TABLE staging.key_counts (
  source  text NOT NULL,
  entity  text NOT NULL,
  keys    bigint NOT NULL CHECK (keys >= 0),
  PRIMARY KEY (source, entity)
);
COMMENT ON TABLE staging.key_counts IS 'How many keys (rows of staging.key_state) each source and entity has; kept by triggers on key_state.';
COMMENT ON COLUMN staging.key_counts.source IS 'Source of the keys.';
COMMENT ON COLUMN staging.key_counts.entity IS 'Entity of the keys.';
COMMENT ON COLUMN staging.key_counts.keys IS 'Number of keys.';

INSERT INTO staging.key_counts (source, entity, keys)
SELECT source, entity, count(*) FROM staging.key_state GROUP BY source, entity;

-- One function for the three triggers: each statement's transition table holds the rows it added
-- (`added`) or removed (`removed`).
CREATE FUNCTION staging.count_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO staging.key_counts AS c (source, entity, keys)
    SELECT source, entity, count(*) FROM added GROUP BY source, entity
    ON CONFLICT (source, entity) DO UPDATE SET keys = c.keys + EXCLUDED.keys;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE staging.key_counts c SET keys = c.keys - r.n
    FROM (SELECT source, entity, count(*) AS n FROM removed GROUP BY source, entity) r
    WHERE c.source = r.source AND c.entity = r.entity;
  ELSE
    DELETE FROM staging.key_counts;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION staging.count_keys() IS 'Keeps staging.key_counts as INSERT, DELETE and TRUNCATE change staging.key_state.';
CREATE TRIGGER count_added_keys AFTER INSERT ON staging.key_state
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION staging.count_keys();
CREATE TRIGGER count_removed_keys AFTER DELETE ON staging.key_state
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION staging.count_keys();
CREATE TRIGGER forget_key_counts AFTER TRUNCATE ON staging.key_state
  FOR EACH STATEMENT EXECUTE FUNCTION staging.count_keys();

-- Down Migration

DROP TRIGGER forget_key_counts ON staging.key_state;
DROP TRIGGER count_removed_keys ON staging.key_state;
DROP TRIGGER count_added_keys ON staging.key_state;
DROP FUNCTION staging.count_keys();
DROP TABLE staging.key_counts;
