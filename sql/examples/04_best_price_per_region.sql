-- Where each game is cheapest right now, per region and currency (no exchange rates).
SELECT game_title, region_code, currency, store_id, amount, discount_pct
FROM mart.best_prices
ORDER BY region_code, amount, game_title;
