-- check: one current price per listing, region, currency and source
SELECT listing_id, region_code, currency, source, count(*) AS current_rows
FROM core.prices
WHERE valid_to IS NULL AND listing_id IN (SELECT listing_id FROM etl_scope)
GROUP BY listing_id, region_code, currency, source
HAVING count(*) > 1
