-- The bulk price history (src/export/bulk-history.ts): every price row, one JSON line each, in a
-- stable order so that unchanged history gives the same bytes and the same content-addressed key.

-- name: history
SELECT listing_id AS listing, game_id, game_title AS title, store_id AS store, region_code AS region, currency, source,
       status, amount, regular_amount, valid_from, valid_to
FROM mart.price_history
ORDER BY listing_id, region_code, currency, source, valid_from;
