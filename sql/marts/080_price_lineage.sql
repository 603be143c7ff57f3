-- mart.price_lineage: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Lineage: from a price back to the staging version and the raw file and line it came from.
CREATE OR REPLACE VIEW mart.price_lineage AS
SELECT p.listing_id, p.region_code, p.currency, p.source, p.valid_from, p.staging_version_id,
       v.key AS staging_key, v.version AS staging_version, f.path AS raw_file, v.raw_line, v.run_id
FROM core.prices p
JOIN staging.versions v ON v.id = p.staging_version_id
JOIN staging.raw_files f ON f.id = v.raw_file_id;

COMMENT ON VIEW mart.price_lineage IS 'From each price to its staging version and raw file line.';
