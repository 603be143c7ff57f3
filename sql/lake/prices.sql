-- table: prices
-- description: The full price history (SCD type 2): one row per price of a listing, region, currency and source, valid from valid_from until valid_to (null: the current price). Amounts are integer minor units of currency, null when not for sale (status says why).
-- partition_by: store, region
-- columns: store VARCHAR, region VARCHAR, listing_id VARCHAR, game_id VARCHAR, currency VARCHAR, source VARCHAR, status VARCHAR, amount BIGINT, regular_amount BIGINT, discount_pct INTEGER, valid_from TIMESTAMPTZ, valid_to TIMESTAMPTZ
SELECT store_id AS store, region_code AS region, listing_id, game_id, currency, source, status,
       amount, regular_amount, discount_pct, valid_from, valid_to
FROM mart.price_history
ORDER BY store_id COLLATE "C", region_code COLLATE "C", listing_id, currency, source, valid_from
