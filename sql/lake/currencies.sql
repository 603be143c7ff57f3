-- table: currencies
-- description: Currencies with their ISO 4217 exponent: a price in major units is amount / 10^exponent.
-- columns: code VARCHAR, exponent INTEGER, name VARCHAR
SELECT code, exponent, name FROM mart.currencies ORDER BY code
