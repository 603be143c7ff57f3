-- mart.currencies: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
CREATE OR REPLACE VIEW mart.currencies AS
SELECT code, exponent, name FROM core.currencies;

COMMENT ON VIEW mart.currencies IS 'Currencies with their ISO 4217 exponent: a price is amount / 10^exponent in major units.';
