-- Full price history of one game at every store, region and currency.
SELECT store_id, region_code, currency, status, amount, regular_amount, valid_from, valid_to
FROM mart.price_history
WHERE game_title = 'Clockwork Garden'
ORDER BY store_id, region_code, currency, valid_from;
