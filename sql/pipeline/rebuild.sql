-- `trawl rebuild` (src/pipeline/rebuild.ts).

-- name: count_versions
-- Rebuild is for a lost database: one that holds versions is refused.
SELECT count(*)::int AS n FROM staging.versions;
