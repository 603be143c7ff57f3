-- Offers that cannot be bought for money right now: unavailable, subscription-only or delisted.
SELECT game_title, store_id, region_code, status
FROM mart.current_prices
WHERE status IN ('unavailable', 'subscription', 'delisted')
ORDER BY status, game_title, region_code;
