-- path: v1/changes/latest.json
-- description: Prices that changed since the previous export generation, for consumers who poll.
-- shape: list
-- since: previous
-- columns: game_id, title, store_id, listing_id, region, currency, source, status, amount?, regular_amount?, discount_pct?, valid_from
SELECT game_id, game_title AS title, store_id, listing_id, region_code AS region, currency, source, status,
       amount, regular_amount, discount_pct, valid_from
FROM mart.price_history
WHERE staging_version_id > $1
ORDER BY valid_from, game_id, store_id, region_code, currency, source
