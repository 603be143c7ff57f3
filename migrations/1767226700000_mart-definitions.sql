-- Up Migration

-- The marts live in sql/marts/*.sql and the ETL keeps them up to date, as dbt rebuilds its models
-- (src/etl/apply-marts.ts). A view is replaced only when its file changed, so its readers are not
-- blocked by an unchanged definition: this table remembers what each file held when it was applied.
CREATE TABLE ops.mart_definitions (
  file text PRIMARY KEY,
  sha256 text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ops.mart_definitions IS 'Which version of each sql/marts file the database holds.';
COMMENT ON COLUMN ops.mart_definitions.file IS 'The file name in sql/marts, e.g. 010_price_history.sql.';
COMMENT ON COLUMN ops.mart_definitions.sha256 IS 'sha256 of the file''s text when it was last applied.';
COMMENT ON COLUMN ops.mart_definitions.applied_at IS 'When it was last applied.';

-- Down Migration

DROP VIEW IF EXISTS mart.game_ids, mart.currencies, mart.etl_state, mart.version_ids;
DROP TABLE ops.mart_definitions;
