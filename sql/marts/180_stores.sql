-- mart.stores: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
CREATE OR REPLACE VIEW mart.stores AS
SELECT store_id, name AS store_name FROM core.stores;

COMMENT ON VIEW mart.stores IS 'Every store.';
