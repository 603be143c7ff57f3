-- mart.game_lows: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- The public page marks a game's lows with when and where they happened: of the rows at the low
-- amount, the latest to start (the most recent time the game sold that cheap), its store breaking ties.
CREATE OR REPLACE VIEW mart.game_lows AS
WITH asof AS (SELECT max(valid_from) AS t FROM core.prices),
rows AS (
  SELECT t.game_id, t.game_title, t.region_code, t.currency, t.store_id, t.amount, t.valid_from,
         coalesce(t.valid_to, asof.t) >= asof.t - interval '90 days' AS in_90_days
  FROM mart.trusted_prices t, asof
)
SELECT game_id, game_title, region_code, currency,
       (array_agg(amount ORDER BY amount, valid_from DESC, store_id))[1] AS low_all_time,
       (array_agg(valid_from ORDER BY amount, valid_from DESC, store_id))[1] AS low_all_time_at,
       (array_agg(store_id ORDER BY amount, valid_from DESC, store_id))[1] AS low_all_time_store,
       (array_agg(amount ORDER BY amount, valid_from DESC, store_id) FILTER (WHERE in_90_days))[1] AS low_90_days,
       (array_agg(valid_from ORDER BY amount, valid_from DESC, store_id) FILTER (WHERE in_90_days))[1] AS low_90_days_at,
       (array_agg(store_id ORDER BY amount, valid_from DESC, store_id) FILTER (WHERE in_90_days))[1] AS low_90_days_store
FROM rows
GROUP BY game_id, game_title, region_code, currency;

COMMENT ON VIEW mart.game_lows IS 'Per game, region and currency: the all-time and 90-day lows across stores, with when (the latest start of a price at that amount) and at which store.';
