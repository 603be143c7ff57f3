-- What `trawl export` reads besides the export queries (src/export/run-export.ts): marts only, as they do.

-- name: watermark
SELECT watermark FROM mart.etl_state;
