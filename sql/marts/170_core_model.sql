-- mart.games, mart.stores, mart.listings: applied by src/db/apply-marts.ts after the migrations, only
-- when this file changed. The core model as analysts and the Parquet lake read it (core is not theirs
-- to read: its columns may change with the ETL, the marts' do not).
CREATE OR REPLACE VIEW mart.games AS
SELECT game_id, title AS game_title FROM core.games;

CREATE OR REPLACE VIEW mart.stores AS
SELECT store_id, name AS store_name FROM core.stores;

CREATE OR REPLACE VIEW mart.listings AS
SELECT listing_id, store_id, store_item_id, game_id, title AS listing_title, steam_app_id, url, match_rule FROM core.listings;

COMMENT ON VIEW mart.games IS 'Every game.';
COMMENT ON VIEW mart.stores IS 'Every store.';
COMMENT ON VIEW mart.listings IS 'Every listing: a store''s item, the game it was matched to and by which rule.';
