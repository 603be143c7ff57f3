-- Up Migration

-- The Parquet lake (`trawl export --lake`, LAKE_TARGET) is a step of its own in ops.runs.
ALTER TABLE ops.runs DROP CONSTRAINT runs_step_check;
ALTER TABLE ops.runs ADD CONSTRAINT runs_step_check CHECK (step IN ('crawl', 'ingest', 'etl', 'export', 'lake'));
COMMENT ON COLUMN ops.runs.step IS 'crawl, ingest, etl, export or lake.';

-- Down Migration

DELETE FROM ops.runs WHERE step = 'lake';
ALTER TABLE ops.runs DROP CONSTRAINT runs_step_check;
ALTER TABLE ops.runs ADD CONSTRAINT runs_step_check CHECK (step IN ('crawl', 'ingest', 'etl', 'export'));
COMMENT ON COLUMN ops.runs.step IS 'crawl, ingest, etl or export.';
