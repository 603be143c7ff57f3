-- Up Migration

-- Closing a version (valid_to, last_seen_at) is the one update versions see. On full pages it
-- moved the row to another page and added entries to both indexes; a tenth of each page kept free
-- lets it stay a HOT update in place. Applies to pages written from now on.
ALTER TABLE staging.versions SET (fillfactor = 90);

-- Down Migration

ALTER TABLE staging.versions RESET (fillfactor);
