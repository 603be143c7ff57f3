-- path: v1/games/{game_id}.json
-- description: One game's full price history at every store, region and currency (valid_to is null on current prices).
-- shape: list
SELECT game_id, store_id, listing_id, region_code AS region, currency, source, status,
       amount, regular_amount, discount_pct, valid_from, valid_to
FROM mart.price_history
ORDER BY game_id, store_id, region_code, currency, source, valid_from
