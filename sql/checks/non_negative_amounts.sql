-- check: amounts are non-negative and a regular price is never below the price
SELECT listing_id, region_code, currency, source, valid_from, amount, regular_amount
FROM core.prices
WHERE listing_id IN (SELECT listing_id FROM etl_scope)
  AND (amount < 0 OR regular_amount < 0 OR regular_amount < amount)
