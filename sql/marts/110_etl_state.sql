-- mart.etl_state: kept up to date by the ETL (src/etl/apply-marts.ts): replaced only when this file changes.
-- What the marts reflect: staging versions up to the watermark (exports record it in their manifest).
CREATE OR REPLACE VIEW mart.etl_state AS
SELECT watermark, updated_at FROM ops.etl_state;

COMMENT ON VIEW mart.etl_state IS 'The ETL watermark: core and the marts reflect staging versions up to this id.';
