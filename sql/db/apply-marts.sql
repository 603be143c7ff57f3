-- The marts' bookkeeping (src/etl/apply-marts.ts).

-- name: applied
SELECT file, sha256 FROM ops.mart_definitions;

-- name: record
INSERT INTO ops.mart_definitions (file, sha256) VALUES ($1, $2)
ON CONFLICT (file) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now();

-- name: grant_analyst
-- Views made here are the application role's: the analyst reads them as it reads every mart.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trawl_analyst') THEN
    GRANT SELECT ON ALL TABLES IN SCHEMA mart TO trawl_analyst;
  END IF;
END $$;

-- name: lock_timeout
-- A replacement waits this long for the view's readers, then steps back (the caller tries again).
SELECT set_config('lock_timeout', $1, true);

-- name: name_view_to_drop
SELECT set_config('trawl.drop_view', $1, true);

-- name: drop_named_view
-- A view CREATE OR REPLACE cannot change (a column dropped, renamed or retyped) goes, with its
-- dependents, which the later mart files make again. An identifier cannot be a $1 parameter.
DO $$
BEGIN
  EXECUTE format('DROP VIEW IF EXISTS mart.%I CASCADE', current_setting('trawl.drop_view'));
END $$;
