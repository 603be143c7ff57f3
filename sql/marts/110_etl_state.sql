-- mart.etl_state: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- What the marts reflect: staging versions up to the watermark (exports record it in their manifest).
CREATE OR REPLACE VIEW mart.etl_state AS
SELECT watermark, updated_at FROM ops.etl_state;

COMMENT ON VIEW mart.etl_state IS 'The ETL watermark: core and the marts reflect staging versions up to this id.';
