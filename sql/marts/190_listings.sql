-- mart.listings: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
CREATE OR REPLACE VIEW mart.listings AS
SELECT listing_id, store_id, store_item_id, game_id, title AS listing_title, steam_app_id, url, match_rule FROM core.listings;

COMMENT ON VIEW mart.listings IS 'Every listing: a store''s item, the game it was matched to and by which rule.';
