-- mart.currencies: kept up to date by the ETL (src/etl/apply-marts.ts): replaced only when this file changes.
CREATE OR REPLACE VIEW mart.currencies AS
SELECT code, exponent, name FROM core.currencies;

COMMENT ON VIEW mart.currencies IS 'Currencies with their ISO 4217 exponent: a price is amount / 10^exponent in major units.';
