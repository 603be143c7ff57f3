-- mart.current_prices: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Where a store's own spider and an aggregator report the same listing, the store's own wins.
CREATE OR REPLACE VIEW mart.current_prices AS
SELECT DISTINCT ON (h.listing_id, h.region_code, h.currency) h.*
FROM mart.price_history h
WHERE h.valid_to IS NULL
ORDER BY h.listing_id, h.region_code, h.currency, (h.source = h.store_id) DESC, h.source;

COMMENT ON VIEW mart.current_prices IS 'The current price per listing, region and currency; a store''s own spider wins over an aggregator.';
