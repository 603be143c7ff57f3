-- The Atom feeds' entries (src/export/publish-feeds.ts): the latest 100 price drops of each kind,
-- newest first. Amounts are minor units; exponent says how many of them make a major unit.

-- name: lows
-- Drops that brought a game to its all-time or 90-day low in their region and currency.
SELECT d.game_id, d.game_title, d.listing_id, d.store_id, d.url, d.region_code, d.currency, d.source,
       d.amount, d.prev_amount, d.regular_amount, d.valid_from, d.low_all_time_reached, c.exponent
FROM mart.price_drops d
LEFT JOIN mart.currencies c ON c.code = d.currency
WHERE d.low_all_time_reached OR d.low_90_days_reached
ORDER BY d.valid_from DESC, d.listing_id, d.region_code, d.currency, d.source
LIMIT 100;

-- name: drops
-- Drops of at least $1 (a share, 0.2 = 20%) of the price before.
SELECT d.game_id, d.game_title, d.listing_id, d.store_id, d.url, d.region_code, d.currency, d.source,
       d.amount, d.prev_amount, d.regular_amount, d.valid_from, d.low_all_time_reached, c.exponent
FROM mart.price_drops d
LEFT JOIN mart.currencies c ON c.code = d.currency
WHERE d.prev_amount - d.amount >= $1::float8 * d.prev_amount
ORDER BY d.valid_from DESC, d.listing_id, d.region_code, d.currency, d.source
LIMIT 100;
