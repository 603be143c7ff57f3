-- mart.price_history: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- mart: what analysts and exports read. Views over core, so they are never stale.
CREATE OR REPLACE VIEW mart.price_history AS
SELECT l.game_id, g.title AS game_title, l.listing_id, l.store_id, s.name AS store_name, l.title AS listing_title, l.url,
       p.region_code, p.currency, p.source, p.status, p.amount, p.regular_amount, p.discount_pct, p.valid_from, p.valid_to,
       p.staging_version_id
FROM core.prices p
JOIN core.listings l USING (listing_id)
JOIN core.games g USING (game_id)
JOIN core.stores s USING (store_id);

COMMENT ON VIEW mart.price_history IS 'Every price row with its game, listing and store.';
