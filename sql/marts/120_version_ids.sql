-- mart.version_ids: kept up to date by the ETL (src/etl/apply-marts.ts): replaced only when this file changes.
-- The ids of staging versions: exports count them to say which changes their feed holds.
CREATE OR REPLACE VIEW mart.version_ids AS
SELECT id FROM staging.versions;

COMMENT ON VIEW mart.version_ids IS 'The id of every staging version (the ETL watermark counts these).';
