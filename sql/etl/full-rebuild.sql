-- `trawl etl --full`: core is emptied inside the ETL's transaction and built again from all of
-- staging. DELETE, not TRUNCATE: TRUNCATE's ACCESS EXCLUSIVE lock waits behind any reader's open
-- transaction and then blocks every reader of core and the marts until the rebuild commits; DELETE
-- blocks no reader, who sees the old rows until the new ones commit. Children before parents.

-- name: empty_core
DELETE FROM core.prices;
DELETE FROM core.listings;
DELETE FROM core.games;
DELETE FROM core.stores;
DELETE FROM core.regions
