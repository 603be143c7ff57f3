-- mart.deals: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
CREATE OR REPLACE VIEW mart.deals AS
SELECT * FROM mart.current_prices
WHERE status = 'available' AND discount_pct > 0;

COMMENT ON VIEW mart.deals IS 'Current prices with a discount.';
