-- mart.version_ids: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- The ids of staging versions: exports count them to say which changes their feed holds.
CREATE OR REPLACE VIEW mart.version_ids AS
SELECT id FROM staging.versions;

COMMENT ON VIEW mart.version_ids IS 'The id of every staging version (the ETL watermark counts these).';
