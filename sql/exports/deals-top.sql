-- path: v1/deals/top.json
-- description: The 100 biggest current discounts (the head of v1/deals.json), for a first screen that must stay small however many deals there are.
-- shape: list
-- columns: game_id, title, store_id, listing_id, url?, region, currency, amount, regular_amount, discount_pct, since
SELECT game_id, game_title AS title, store_id, listing_id, url, region_code AS region, currency,
       amount, regular_amount, discount_pct, valid_from AS since
FROM mart.deals
ORDER BY discount_pct DESC, game_id, store_id, region_code, currency
LIMIT 100
