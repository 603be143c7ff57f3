-- check: every price has its listing and region, every listing its store and game
SELECT 'price without listing' AS problem, p.listing_id AS id FROM core.prices p
WHERE p.listing_id IN (SELECT listing_id FROM etl_scope) AND NOT EXISTS (SELECT 1 FROM core.listings l WHERE l.listing_id = p.listing_id)
UNION ALL
SELECT 'price without region', p.listing_id FROM core.prices p
WHERE p.listing_id IN (SELECT listing_id FROM etl_scope) AND NOT EXISTS (SELECT 1 FROM core.regions r WHERE r.region_code = p.region_code)
UNION ALL
SELECT 'listing without game', l.listing_id FROM core.listings l
WHERE l.listing_id IN (SELECT listing_id FROM etl_scope) AND NOT EXISTS (SELECT 1 FROM core.games g WHERE g.game_id = l.game_id)
UNION ALL
SELECT 'listing without store', l.listing_id FROM core.listings l
WHERE l.listing_id IN (SELECT listing_id FROM etl_scope) AND NOT EXISTS (SELECT 1 FROM core.stores s WHERE s.store_id = l.store_id)
