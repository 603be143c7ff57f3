-- The ETL batch: every version of every offer key that changed since the watermark, typed. The
-- runner has created etl_params (watermark, full_build) and the staging model staged_offers
-- (sql/staging/offers.sql) in this REPEATABLE READ transaction.
-- A key's identity (store, item, region) comes from its latest listed version: delisted versions
-- carry no data.
CREATE TEMP TABLE etl_keys ON COMMIT DROP AS
SELECT DISTINCT v.source, v.key
FROM staged_offers v
WHERE v.id > (SELECT CASE WHEN full_build THEN 0 ELSE watermark END FROM etl_params);
ANALYZE etl_keys;

CREATE TEMP TABLE etl_offer_versions ON COMMIT DROP AS
WITH ident AS (
  SELECT DISTINCT ON (v.source, v.key) v.source, v.key, v.data
  FROM staged_offers v
  JOIN etl_keys k USING (source, key)
  WHERE NOT v.delisted
  ORDER BY v.source, v.key, v.version DESC
)
SELECT v.id AS version_id, v.source, v.key, v.version, v.valid_from, v.valid_to, v.delisted,
       i.data->>'store' AS store_id,
       -- NFC, as keys and content hashes are: one item id in two Unicode forms is one listing.
       normalize(i.data->>'store_item_id', NFC) AS store_item_id,
       coalesce(v.data->>'region', i.data->>'region') AS region_code,
       coalesce(v.data->>'currency', i.data->>'currency') AS currency,
       CASE WHEN v.delisted THEN 'delisted' ELSE v.data->>'status' END AS status,
       (v.data->>'amount')::bigint AS amount,
       coalesce((v.data->>'regular_amount')::bigint, (v.data->>'amount')::bigint) AS regular_amount
FROM staged_offers v
JOIN ident i USING (source, key);
