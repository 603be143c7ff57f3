-- mart.price_drops: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Every trusted price that is lower than the one before it in its series (listing, region, currency,
-- source), and whether it was then at or under the game's lowest earlier price in that region and
-- currency across stores: over all time, and over the prices valid at some point in the 90 days before.
-- The feeds (v1/feeds/*.atom) read it.
CREATE OR REPLACE VIEW mart.price_drops AS
WITH t AS (SELECT * FROM mart.trusted_prices)
SELECT d.game_id, d.game_title, d.listing_id, d.store_id, d.url, d.region_code, d.currency, d.source,
       d.amount, d.prev_amount, d.regular_amount, d.discount_pct, d.valid_from, d.staging_version_id,
       d.amount <= min(e.amount) AS low_all_time_reached,
       d.amount <= coalesce(min(e.amount) FILTER (WHERE coalesce(e.valid_to, 'infinity') > d.valid_from - interval '90 days'), d.prev_amount) AS low_90_days_reached
FROM t d
JOIN t e ON e.game_id = d.game_id AND e.region_code = d.region_code AND e.currency = d.currency AND e.valid_from < d.valid_from
WHERE d.amount < d.prev_amount
GROUP BY d.game_id, d.game_title, d.listing_id, d.store_id, d.url, d.region_code, d.currency, d.source,
         d.amount, d.prev_amount, d.regular_amount, d.discount_pct, d.valid_from, d.staging_version_id;

COMMENT ON VIEW mart.price_drops IS 'Each trusted price lower than the previous one of its listing, region, currency and source, with whether it reached the game''s all-time or 90-day low.';
