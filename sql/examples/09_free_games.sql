-- Games that are free right now, per store and region.
SELECT game_title, store_id, region_code, currency
FROM mart.current_prices
WHERE status = 'free'
ORDER BY game_title, region_code;
