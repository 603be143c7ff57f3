-- Up Migration

-- A step whose process was killed left its row 'running' for ever. Each row now names the machine
-- and process that runs it, and the next step started on that machine marks the rows of processes
-- that are gone as 'killed' (src/ops/runs.ts).
ALTER TABLE ops.runs ADD COLUMN host text, ADD COLUMN pid integer;
ALTER TABLE ops.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE ops.runs ADD CONSTRAINT runs_status_check CHECK (status IN ('running', 'ok', 'partial', 'failed', 'killed'));
CREATE INDEX runs_running ON ops.runs (host) WHERE status = 'running';
COMMENT ON COLUMN ops.runs.host IS 'Host name of the machine running the step.';
COMMENT ON COLUMN ops.runs.pid IS 'Process id running the step on that host.';
COMMENT ON COLUMN ops.runs.status IS 'running, ok, partial (records quarantined or crawl incomplete), failed, or killed (its process ended without closing it; found by the next step on its host).';

-- Down Migration

UPDATE ops.runs SET status = 'failed' WHERE status = 'killed';
DROP INDEX ops.runs_running;
ALTER TABLE ops.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE ops.runs ADD CONSTRAINT runs_status_check CHECK (status IN ('running', 'ok', 'partial', 'failed'));
ALTER TABLE ops.runs DROP COLUMN pid, DROP COLUMN host;
