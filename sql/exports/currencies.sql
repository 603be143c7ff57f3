-- path: v1/currencies.json
-- description: Currencies with their ISO 4217 exponent: a price is amount / 10^exponent in major units.
-- shape: list
-- columns: code, exponent, name
SELECT code, exponent, name FROM mart.currencies ORDER BY code
