-- Up Migration
-- Ingest asks, for each newly quarantined line, whether its source, key and reason were quarantined
-- before (only a new one makes a run exit 3). The index holds a digest of the three, not the texts:
-- a key or a reason can be longer than a B-tree row may be.
CREATE FUNCTION staging.quarantine_identity(source text, key text, reason text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN md5(coalesce(source, chr(1)) || chr(31) || coalesce(key, chr(1)) || chr(31) || reason);
CREATE INDEX quarantine_identity ON staging.quarantine (staging.quarantine_identity(source, key, reason));

-- Down Migration
DROP INDEX staging.quarantine_identity;
DROP FUNCTION staging.quarantine_identity(text, text, text);
