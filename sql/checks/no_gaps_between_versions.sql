-- check: each price ends exactly where the next one of its listing, region, currency and source starts
SELECT listing_id, region_code, currency, source, valid_from, valid_to, next_from
FROM (
  SELECT p.*, lead(valid_from) OVER w AS next_from
  FROM core.prices p
  WHERE listing_id IN (SELECT listing_id FROM etl_scope)
  WINDOW w AS (PARTITION BY listing_id, region_code, currency, source ORDER BY valid_from)
) s
WHERE next_from IS NOT NULL AND valid_to IS NOT NULL AND valid_to < next_from
