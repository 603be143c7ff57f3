-- Biggest discounts right now, with the price in major units.
SELECT d.game_title, d.store_name, d.region_code, d.currency,
       d.amount / 10.0 ^ c.exponent AS price, d.regular_amount / 10.0 ^ c.exponent AS regular_price, d.discount_pct
FROM mart.deals d
JOIN core.currencies c ON c.code = d.currency
ORDER BY d.discount_pct DESC, d.game_title, d.region_code;
