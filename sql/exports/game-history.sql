-- path: v1/games/{game_id}.json
-- description: One game's full price history at every store, region and currency (valid_to is null on current prices). A game id merged into another still answers, with canonical_game_id naming the survivor.
-- shape: list
-- columns: game_id, canonical_game_id, title, store_id, listing_id, region, currency, source, status, amount?, regular_amount?, discount_pct?, valid_from, valid_to?
SELECT ids.game_id, h.game_id AS canonical_game_id, h.game_title AS title, h.store_id, h.listing_id, h.region_code AS region,
       h.currency, h.source, h.status, h.amount, h.regular_amount, h.discount_pct, h.valid_from, h.valid_to
FROM mart.game_ids ids
JOIN mart.price_history h ON h.game_id = ids.canonical_game_id
ORDER BY ids.game_id, h.store_id, h.region_code, h.currency, h.source, h.valid_from
