-- What `trawl etl` runs around the steps NNN_*.sql (src/etl/run-etl.ts).

-- name: watermark
SELECT watermark FROM ops.etl_state;

-- name: last_version_id
SELECT max(id) AS max FROM staging.versions;

-- name: create_params
-- The steps read their watermark and mode from here.
CREATE TEMP TABLE etl_params ON COMMIT DROP AS SELECT $1::bigint AS watermark, $2::boolean AS full_build;

-- name: create_scope
-- The listings this run touched: what sql/checks/*.sql look at.
CREATE TEMP TABLE etl_scope ON COMMIT DROP AS
SELECT DISTINCT core.public_id('l', store_id || ':' || store_item_id) AS listing_id
FROM (SELECT store_id, store_item_id FROM etl_offer_versions UNION SELECT store_id, store_item_id FROM etl_assign) t;

-- name: counts
SELECT (SELECT count(*) FROM etl_keys)::int AS keys, (SELECT count(*) FROM etl_offer_versions)::int AS prices;

-- name: set_watermark
UPDATE ops.etl_state SET watermark = $1, updated_at = now();
