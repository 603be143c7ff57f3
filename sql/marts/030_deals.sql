-- mart.deals: kept up to date by the ETL (src/etl/apply-marts.ts): replaced only when this file changes.
CREATE OR REPLACE VIEW mart.deals AS
SELECT * FROM mart.current_prices
WHERE status = 'available' AND discount_pct > 0;

COMMENT ON VIEW mart.deals IS 'Current prices with a discount.';
