-- check: every price's currency is a known ISO 4217 currency
SELECT listing_id, region_code, currency, source, valid_from
FROM core.prices p
WHERE listing_id IN (SELECT listing_id FROM etl_scope)
  AND NOT EXISTS (SELECT 1 FROM core.currencies c WHERE c.code = p.currency)
