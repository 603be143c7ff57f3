-- The staging model of the offer entity: the ETL reads offers through it, not staging.versions with
-- the entity written into each step. A new entity brings a model of its own beside this one
-- (listed in src/etl/run-etl.ts) and the steps that read it.

-- name: model
-- A session view: the ETL's steps see it in their transaction, and no other session sees it at all.
CREATE OR REPLACE TEMP VIEW staged_offers AS
SELECT id, source, key, partition, version, delisted, data, source_fields, valid_from, valid_to, last_seen_at, raw_file_id, raw_line, run_id
FROM staging.versions
WHERE entity = 'offer';
