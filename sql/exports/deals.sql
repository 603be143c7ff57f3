-- path: v1/deals.json
-- description: Current discounts at every store, biggest discount first. Prices are integer minor units of `currency`.
-- shape: list
-- columns: game_id, title, store_id, listing_id, url?, region, currency, amount, regular_amount, discount_pct, since
SELECT game_id, game_title AS title, store_id, listing_id, url, region_code AS region, currency,
       amount, regular_amount, discount_pct, valid_from AS since
FROM mart.deals
ORDER BY discount_pct DESC, game_id, store_id, region_code, currency
