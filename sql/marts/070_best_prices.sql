-- mart.best_prices: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- The cheapest current offer per game, region and currency across stores (no exchange rates).
CREATE OR REPLACE VIEW mart.best_prices AS
SELECT DISTINCT ON (game_id, region_code, currency)
       game_id, game_title, region_code, currency, store_id, listing_id, url, amount, regular_amount, discount_pct, valid_from
FROM mart.current_prices
WHERE amount IS NOT NULL
ORDER BY game_id, region_code, currency, amount, store_id;

COMMENT ON VIEW mart.best_prices IS 'The cheapest current offer per game, region and currency across stores.';
