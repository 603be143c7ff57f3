-- mart.historical_lows_by_store: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- "Now" for the 90-day window is the data's own latest price change, so injected-time runs agree.
CREATE OR REPLACE VIEW mart.historical_lows_by_store AS
WITH asof AS (SELECT max(valid_from) AS t FROM core.prices)
SELECT t.game_id, t.game_title, t.store_id, t.region_code, t.currency,
       min(t.amount) AS low_all_time,
       min(t.amount) FILTER (WHERE coalesce(t.valid_to, asof.t) >= asof.t - interval '90 days') AS low_90_days
FROM mart.trusted_prices t, asof
GROUP BY t.game_id, t.game_title, t.store_id, t.region_code, t.currency;

COMMENT ON VIEW mart.historical_lows_by_store IS 'Lowest trusted price per game, store, region and currency: all time and over the 90 days before the latest price change.';
