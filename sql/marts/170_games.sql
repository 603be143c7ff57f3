-- mart.games: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- The core model as analysts and the Parquet lake read it (core is not theirs to read: its columns
-- may change with the ETL, the marts' do not), with mart.stores and mart.listings.
CREATE OR REPLACE VIEW mart.games AS
SELECT game_id, title AS game_title FROM core.games;

COMMENT ON VIEW mart.games IS 'Every game.';
