-- check: validity ranges of one listing, region, currency and source never overlap
SELECT listing_id, region_code, currency, source, valid_from, valid_to, next_from
FROM (
  SELECT p.*, lead(valid_from) OVER w AS next_from
  FROM core.prices p
  WHERE listing_id IN (SELECT listing_id FROM etl_scope)
  WINDOW w AS (PARTITION BY listing_id, region_code, currency, source ORDER BY valid_from)
) s
WHERE next_from IS NOT NULL AND (valid_to IS NULL OR valid_to > next_from)
