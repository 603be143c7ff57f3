-- path: v1/games/{game_id}.json
-- description: One game's full price history at every store, region and currency (valid_to is null on current prices), with the store's link and, on every row of a region and currency, the game's all-time and 90-day lows there across stores (amount, when it last started, store). A game id merged into another still answers, with canonical_game_id naming the survivor.
-- shape: list
-- columns: game_id, canonical_game_id, title, store_id, listing_id, url?, region, currency, source, status, amount?, regular_amount?, discount_pct?, valid_from, valid_to?, low_all_time?, low_all_time_at?, low_all_time_store?, low_90_days?, low_90_days_at?, low_90_days_store?
SELECT ids.game_id, h.game_id AS canonical_game_id, h.game_title AS title, h.store_id, h.listing_id, h.url, h.region_code AS region,
       h.currency, h.source, h.status, h.amount, h.regular_amount, h.discount_pct, h.valid_from, h.valid_to,
       l.low_all_time, l.low_all_time_at, l.low_all_time_store, l.low_90_days, l.low_90_days_at, l.low_90_days_store
FROM mart.game_ids ids
JOIN mart.price_history h ON h.game_id = ids.canonical_game_id
LEFT JOIN mart.game_lows l ON l.game_id = h.game_id AND l.region_code = h.region_code AND l.currency = h.currency
ORDER BY ids.game_id, h.store_id, h.region_code, h.currency, h.source, h.valid_from
