-- mart.historical_lows: kept up to date by the ETL (src/etl/apply-marts.ts): replaced only when this file changes.
CREATE OR REPLACE VIEW mart.historical_lows AS
SELECT game_id, game_title, region_code, currency, min(low_all_time) AS low_all_time, min(low_90_days) AS low_90_days
FROM mart.historical_lows_by_store
GROUP BY game_id, game_title, region_code, currency;

COMMENT ON VIEW mart.historical_lows IS 'Lowest trusted price per game, region and currency across stores.';
