-- Prices that returned to an earlier value (A -> B -> A): sales that ended.
SELECT h.game_title, h.region_code, h.currency, h.amount, h.valid_from
FROM (
  SELECT p.*, lag(amount, 2) OVER w AS two_before, lag(amount) OVER w AS before
  FROM mart.price_history p
  WINDOW w AS (PARTITION BY listing_id, region_code, currency, source ORDER BY valid_from)
) h
WHERE h.amount = h.two_before AND h.before IS DISTINCT FROM h.amount
ORDER BY h.valid_from, h.game_title, h.region_code;
