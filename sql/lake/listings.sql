-- table: listings
-- description: Every listing: a store's item, the game it belongs to, and the rule that matched them.
-- columns: listing_id VARCHAR, store_id VARCHAR, store_item_id VARCHAR, game_id VARCHAR, title VARCHAR, steam_app_id BIGINT, url VARCHAR, match_rule VARCHAR
SELECT listing_id, store_id, store_item_id, game_id, listing_title AS title, steam_app_id, url, match_rule
FROM mart.listings ORDER BY listing_id
