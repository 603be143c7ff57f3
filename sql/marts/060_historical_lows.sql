-- mart.historical_lows: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
CREATE OR REPLACE VIEW mart.historical_lows AS
SELECT game_id, game_title, region_code, currency, min(low_all_time) AS low_all_time, min(low_90_days) AS low_90_days
FROM mart.historical_lows_by_store
GROUP BY game_id, game_title, region_code, currency;

COMMENT ON VIEW mart.historical_lows IS 'Lowest trusted price per game, region and currency across stores.';
