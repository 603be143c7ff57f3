-- The Atom feeds' entries (src/export/publish-feeds.ts): the latest 100 price drops of each feed,
-- newest first, from one evaluation of mart.price_drops (it joins every trusted price to the earlier
-- ones of its game: the feeds share it rather than compute it twice). Amounts are minor units.

-- name: entries
-- feed 'lows': drops that brought a game to its all-time or 90-day low in their region and currency;
-- feed 'drops': drops of at least $1 (a share, 0.2 = 20%) of the price before.
WITH d AS MATERIALIZED (
  SELECT game_id, game_title, listing_id, store_id, url, region_code, currency, source,
         amount, prev_amount, regular_amount, valid_from, low_all_time_reached, low_90_days_reached
  FROM mart.price_drops
)
SELECT * FROM (
(SELECT 'lows' AS feed, d.* FROM d
 WHERE low_all_time_reached OR low_90_days_reached
 ORDER BY valid_from DESC, listing_id, region_code, currency, source
 LIMIT 100)
UNION ALL
(SELECT 'drops' AS feed, d.* FROM d
 WHERE prev_amount - amount >= $1::float8 * prev_amount
 ORDER BY valid_from DESC, listing_id, region_code, currency, source
 LIMIT 100)
) entries
ORDER BY feed, valid_from DESC, listing_id, region_code, currency, source;
