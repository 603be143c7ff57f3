-- All-time and 90-day lows per game, region and currency (one-off typo prices left out).
SELECT game_title, region_code, currency, low_all_time, low_90_days
FROM mart.historical_lows
ORDER BY game_title, region_code;
