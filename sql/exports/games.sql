-- path: v1/games.json
-- description: Every game with its current price at each store, region and currency; status tells why an offer has no amount.
-- shape: list
-- columns: game_id, title, store_id, listing_id, region, currency, status, amount?, regular_amount?, discount_pct?
SELECT game_id, game_title AS title, store_id, listing_id, region_code AS region, currency, status,
       amount, regular_amount, discount_pct
FROM mart.current_prices
ORDER BY game_id, store_id, region_code, currency
