-- Listings a complete crawl no longer found, and since when.
SELECT game_title, store_id, region_code, valid_from AS delisted_since
FROM mart.current_prices
WHERE status = 'delisted'
ORDER BY valid_from DESC, game_title;
