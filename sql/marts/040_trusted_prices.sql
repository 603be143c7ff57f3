-- mart.trusted_prices: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Prices that count toward lows. A one-off typo is a price that lasted under 6 hours and was less
-- than half of both the price before and the price after it: it is left out.
CREATE OR REPLACE VIEW mart.trusted_prices AS
WITH seq AS (
  SELECT h.*,
         lag(h.amount) OVER w AS prev_amount,
         lead(h.amount) OVER w AS next_amount
  FROM mart.price_history h
  WINDOW w AS (PARTITION BY h.listing_id, h.region_code, h.currency, h.source ORDER BY h.valid_from)
)
SELECT * FROM seq
WHERE amount IS NOT NULL
  AND NOT (valid_to IS NOT NULL AND valid_to - valid_from < interval '6 hours'
           AND prev_amount IS NOT NULL AND next_amount IS NOT NULL
           AND amount * 2 < prev_amount AND amount * 2 < next_amount);

COMMENT ON VIEW mart.trusted_prices IS 'Priced rows of price_history without one-off typos (under 6 hours and under half of both neighbours).';
