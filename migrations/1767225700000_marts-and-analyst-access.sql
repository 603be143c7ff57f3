-- Up Migration

-- mart: what analysts and exports read. The views are defined in sql/marts/*.sql, applied after the
-- migrations when their file changed (src/db/apply-marts.ts): one definition each.

-- The analyst role reads core and mart, nothing else, and writes nothing. Roles are cluster-wide,
-- so it is created once and reused by every trawl database on the server.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'trawl_analyst') THEN
    CREATE ROLE trawl_analyst NOLOGIN;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA core, mart TO trawl_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA core, mart TO trawl_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, mart GRANT SELECT ON TABLES TO trawl_analyst;
-- price_lineage reads staging through its owner's rights; analysts see only what it shows.

COMMENT ON SCHEMA staging IS 'What was seen: raw files ledger, record versions, quarantine.';
COMMENT ON SCHEMA core IS 'The 3NF model with full price history.';
COMMENT ON SCHEMA mart IS 'Views for analysts and exports.';
COMMENT ON SCHEMA ops IS 'Runs of the pipeline.';

COMMENT ON COLUMN ops.runs.id IS 'Serial id of the step run.';
COMMENT ON COLUMN ops.runs.pipeline_id IS 'Groups the steps of one `trawl run` (null for single commands).';
COMMENT ON COLUMN ops.runs.step IS 'crawl, ingest, etl or export.';
COMMENT ON COLUMN ops.runs.spider IS 'The spider the step ran for, when there is one.';
COMMENT ON COLUMN ops.runs.status IS 'running, ok, partial (records quarantined or crawl incomplete) or failed.';
COMMENT ON COLUMN ops.runs.started_at IS 'When the step started (real clock).';
COMMENT ON COLUMN ops.runs.finished_at IS 'When the step ended (real clock).';
COMMENT ON COLUMN ops.runs.pages IS 'Pages fetched (crawl).';
COMMENT ON COLUMN ops.runs.records IS 'Records seen (crawl, ingest), keys processed (etl) or objects published (export).';
COMMENT ON COLUMN ops.runs.new_versions IS 'Versions landed (ingest), price rows written (etl) or objects uploaded (export).';
COMMENT ON COLUMN ops.runs.unchanged IS 'Records or objects that changed nothing.';
COMMENT ON COLUMN ops.runs.delisted IS 'Delisted versions landed.';
COMMENT ON COLUMN ops.runs.quarantined IS 'Records quarantined.';
COMMENT ON COLUMN ops.runs.errors IS 'Failed requests (crawl).';
COMMENT ON COLUMN ops.runs.raw_file IS 'The raw file written or read, relative to the raw folder.';
COMMENT ON COLUMN ops.runs.message IS 'A short human note: why it failed, what collapsed, the export generation.';
COMMENT ON TABLE ops.etl_state IS 'The ETL watermark: core reflects staging.versions up to this id.';
COMMENT ON COLUMN ops.etl_state.singleton IS 'Always true: one row.';
COMMENT ON COLUMN ops.etl_state.watermark IS 'Highest staging.versions.id the last ETL processed.';
COMMENT ON COLUMN ops.etl_state.updated_at IS 'When the watermark last moved.';

COMMENT ON COLUMN staging.raw_files.id IS 'Serial id, referenced by versions and quarantine.';
COMMENT ON COLUMN staging.raw_files.path IS 'Path relative to the raw folder, or s3://bucket/key@etag for landing files.';
COMMENT ON COLUMN staging.raw_files.source IS 'Source named in the file''s end line.';
COMMENT ON COLUMN staging.raw_files.run_id IS 'Crawl run id of the file.';
COMMENT ON COLUMN staging.raw_files.bytes_ingested IS 'Byte offset up to which the file has been ingested (whole lines only).';
COMMENT ON COLUMN staging.raw_files.lines_ingested IS 'Line number up to which the file has been ingested.';
COMMENT ON COLUMN staging.raw_files.finished IS 'The file''s end line has been ingested.';
COMMENT ON COLUMN staging.raw_files.etag IS 'ETag of a landing-bucket object.';
COMMENT ON COLUMN staging.raw_files.complete IS 'The crawl was complete: every request succeeded, no budget cut.';
COMMENT ON COLUMN staging.raw_files.first_ingested_at IS 'First ingest of the file.';
COMMENT ON COLUMN staging.raw_files.last_ingested_at IS 'Latest ingest of the file.';
COMMENT ON COLUMN staging.versions.id IS 'Serial id; the ETL watermark counts these.';
COMMENT ON COLUMN staging.versions.source IS 'Spider or producer that observed the record.';
COMMENT ON COLUMN staging.versions.entity IS 'Kind of record, e.g. offer.';
COMMENT ON COLUMN staging.versions.key IS 'Natural key, e.g. steam:app:570:us.';
COMMENT ON COLUMN staging.versions.partition IS 'Crawl partition (e.g. a country) the key belongs to; delisting works per partition.';
COMMENT ON COLUMN staging.versions.version IS '1 for the first version of a key, then +1 per change.';
COMMENT ON COLUMN staging.versions.hash IS 'sha256 of the canonical JSON of data without volatile fields.';
COMMENT ON COLUMN staging.versions.hash_version IS 'Version of the canonical form the hash was made with.';
COMMENT ON COLUMN staging.versions.delisted IS 'The key was missing from a complete crawl of its partition.';
COMMENT ON COLUMN staging.versions.data IS 'The validated record (null when delisted).';
COMMENT ON COLUMN staging.versions.source_fields IS 'What the source showed before normalisation, e.g. the price string.';
COMMENT ON COLUMN staging.versions.volatile IS 'Top-level data fields left out of the hash.';
COMMENT ON COLUMN staging.versions.valid_from IS 'observed_at of the first observation with this content.';
COMMENT ON COLUMN staging.versions.valid_to IS 'Start of the next version; null while current.';
COMMENT ON COLUMN staging.versions.last_seen_at IS 'Latest observation while this version was current (live value in key_state for the current one).';
COMMENT ON COLUMN staging.versions.raw_file_id IS 'Raw file of the first observation.';
COMMENT ON COLUMN staging.versions.raw_line IS 'Line of that observation in the raw file (1-based).';
COMMENT ON COLUMN staging.versions.run_id IS 'Crawl run of that observation.';
COMMENT ON COLUMN staging.versions.ingested_at IS 'When the version was landed (real clock).';
COMMENT ON COLUMN staging.key_state.source IS 'Source of the key.';
COMMENT ON COLUMN staging.key_state.entity IS 'Entity of the key.';
COMMENT ON COLUMN staging.key_state.key IS 'Natural key.';
COMMENT ON COLUMN staging.key_state.partition IS 'Crawl partition of the key.';
COMMENT ON COLUMN staging.key_state.version IS 'Current version number.';
COMMENT ON COLUMN staging.key_state.hash IS 'Hash of the current version.';
COMMENT ON COLUMN staging.key_state.hash_version IS 'Canonical-form version of the hash.';
COMMENT ON COLUMN staging.key_state.delisted IS 'The current version is a delisting.';
COMMENT ON COLUMN staging.key_state.last_seen_at IS 'Latest observation of the key.';
COMMENT ON COLUMN staging.crawl_partitions.raw_file_id IS 'Raw file of the crawl.';
COMMENT ON COLUMN staging.crawl_partitions.source IS 'Source crawled.';
COMMENT ON COLUMN staging.crawl_partitions.partition IS 'Partition crawled.';
COMMENT ON COLUMN staging.crawl_partitions.records IS 'Valid records the crawl saw in the partition.';
COMMENT ON COLUMN staging.crawl_partitions.complete IS 'The crawl was complete for the partition.';
COMMENT ON COLUMN staging.crawl_partitions.collapsed IS 'Record count collapsed against the last complete crawl: nothing delisted.';
COMMENT ON COLUMN staging.crawl_partitions.started_at IS 'Start of the crawl (injected clock).';
COMMENT ON COLUMN staging.crawl_partitions.finished_at IS 'End of the crawl (injected clock).';
COMMENT ON TABLE staging.crawl_partitions IS 'Record counts of each crawl per partition: the baseline for collapse detection.';
COMMENT ON COLUMN staging.quarantine.id IS 'Serial id.';
COMMENT ON COLUMN staging.quarantine.raw_file_id IS 'Raw file holding the line.';
COMMENT ON COLUMN staging.quarantine.raw_line IS 'Line number in the raw file.';
COMMENT ON COLUMN staging.quarantine.run_id IS 'Crawl run of the line.';
COMMENT ON COLUMN staging.quarantine.source IS 'Source, when readable.';
COMMENT ON COLUMN staging.quarantine.entity IS 'Entity, when readable.';
COMMENT ON COLUMN staging.quarantine.key IS 'Natural key, when it could be told.';
COMMENT ON COLUMN staging.quarantine.reason IS 'Why the line is not a valid record.';
COMMENT ON COLUMN staging.quarantine.line IS 'The raw line as it was.';
COMMENT ON COLUMN staging.quarantine.quarantined_at IS 'When it was quarantined.';
COMMENT ON COLUMN staging.quarantine.retried_at IS 'Latest `trawl quarantine retry` of it.';
COMMENT ON COLUMN staging.quarantine.resolved_at IS 'When a retry landed it.';
COMMENT ON COLUMN staging.quarantined_files.path IS 's3://bucket/key@etag of the landing object.';
COMMENT ON COLUMN staging.quarantined_files.reason IS 'Why the file could not be read.';
COMMENT ON COLUMN staging.quarantined_files.quarantined_at IS 'When it was quarantined.';
COMMENT ON TABLE staging.quarantined_files IS 'Landing-bucket files that were not readable as raw files.';
COMMENT ON COLUMN staging.hash_state.singleton IS 'Always true: one row.';
COMMENT ON COLUMN staging.hash_state.hash_version IS 'Canonical-form version of every hash in staging.';
COMMENT ON TABLE staging.hash_state IS 'The canonical-JSON hash version staging was built with.';

COMMENT ON TABLE core.currencies IS 'ISO 4217 currencies with their minor-unit exponent.';
COMMENT ON COLUMN core.currencies.code IS 'ISO 4217 code.';
COMMENT ON COLUMN core.currencies.exponent IS 'Digits of the minor unit: amount / 10^exponent is the price in major units.';
COMMENT ON COLUMN core.currencies.name IS 'English name.';
COMMENT ON TABLE core.regions IS 'Regions prices are quoted for (a country, or eu for the demo store).';
COMMENT ON COLUMN core.regions.region_code IS 'Lower-case region code.';
COMMENT ON TABLE core.stores IS 'Stores that sell games.';
COMMENT ON COLUMN core.stores.store_id IS 'Store id (the store''s spider name).';
COMMENT ON COLUMN core.stores.name IS 'Display name.';
COMMENT ON TABLE core.games IS 'Games, one per natural key (Steam app id, else normalised title).';
COMMENT ON COLUMN core.games.game_id IS 'Stable public id derived from natural_key.';
COMMENT ON COLUMN core.games.natural_key IS 'steam:<app id> or title:<normalised title>.';
COMMENT ON COLUMN core.games.title IS 'Title of the game''s first listing by store and item id.';
COMMENT ON TABLE core.listings IS 'A game at a store.';
COMMENT ON COLUMN core.listings.listing_id IS 'Stable public id derived from store and item id.';
COMMENT ON COLUMN core.listings.store_id IS 'The store.';
COMMENT ON COLUMN core.listings.store_item_id IS 'The store''s own id for the item.';
COMMENT ON COLUMN core.listings.game_id IS 'The game it was matched to.';
COMMENT ON COLUMN core.listings.title IS 'Title as the store shows it.';
COMMENT ON COLUMN core.listings.normalised_title IS 'core.normalise_title(title): what title matching compares.';
COMMENT ON COLUMN core.listings.steam_app_id IS 'Steam app id, when the source gives one.';
COMMENT ON COLUMN core.listings.url IS 'The listing''s page.';
COMMENT ON COLUMN core.listings.match_rule IS 'Which matching rule linked it to its game: steam_app_id, normalised_title_to_steam or normalised_title.';
COMMENT ON TABLE core.game_aliases IS 'Game ids that were merged into another game; their public URLs point to the survivor.';
COMMENT ON COLUMN core.game_aliases.alias_id IS 'The former game id.';
COMMENT ON COLUMN core.game_aliases.game_id IS 'The game it now stands for.';
COMMENT ON TABLE core.prices IS 'Price history (SCD type 2): one row per staging version of an offer.';
COMMENT ON COLUMN core.prices.listing_id IS 'The listing priced.';
COMMENT ON COLUMN core.prices.region_code IS 'Region of the price.';
COMMENT ON COLUMN core.prices.currency IS 'Currency of the amounts.';
COMMENT ON COLUMN core.prices.source IS 'Who observed it: the store''s own spider or an aggregator.';
COMMENT ON COLUMN core.prices.status IS 'available, preorder, free, unavailable, subscription or delisted; only the first three carry an amount.';
COMMENT ON COLUMN core.prices.amount IS 'Price in minor units of currency; null when not for sale.';
COMMENT ON COLUMN core.prices.regular_amount IS 'Undiscounted price in minor units (equal to amount without a discount).';
COMMENT ON COLUMN core.prices.discount_pct IS 'Whole-percent discount from regular_amount.';
COMMENT ON COLUMN core.prices.valid_from IS 'When this price was first observed.';
COMMENT ON COLUMN core.prices.valid_to IS 'When the next price was first observed; null on the current price.';
COMMENT ON COLUMN core.prices.staging_version_id IS 'The staging version it came from (lineage to the raw line).';


-- Staging's view columns: one dictionary, applied to every column (the marts' are in sql/db/apply-marts.sql).
DO $$
DECLARE
  meaning constant jsonb := '{
    "source": "Who observed the price: the store''s own spider or an aggregator.",
    "valid_from": "When this price was first observed.",
    "valid_to": "When the next price was first observed; null on the current price.",
    "raw_line": "Line of the observation in the raw file.",
    "run_id": "Crawl run of the observation.",
    "id": "Serial id of the version.",
    "entity": "Kind of record.",
    "key": "Natural key.",
    "partition": "Crawl partition of the key.",
    "version": "Version number of the key.",
    "hash": "sha256 of the canonical JSON of data without volatile fields.",
    "hash_version": "Canonical-form version of the hash.",
    "delisted": "The key was missing from a complete crawl of its partition.",
    "data": "The validated record.",
    "source_fields": "What the source showed before normalisation.",
    "volatile": "Fields left out of the hash.",
    "last_seen_at": "Latest observation while this version was current.",
    "raw_file_id": "Raw file of the first observation.",
    "ingested_at": "When the version was landed."
  }';
  col record;
BEGIN
  FOR col IN
    SELECT c.table_schema, c.table_name, c.column_name
    FROM information_schema.columns c
    JOIN information_schema.views v ON v.table_schema = c.table_schema AND v.table_name = c.table_name
    WHERE c.table_schema = 'staging'
  LOOP
    IF NOT meaning ? col.column_name THEN
      RAISE EXCEPTION 'no comment for view column %.%.%', col.table_schema, col.table_name, col.column_name;
    END IF;
    EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', col.table_schema, col.table_name, col.column_name, meaning ->> col.column_name);
  END LOOP;
END
$$;

-- Down Migration

REVOKE ALL ON ALL TABLES IN SCHEMA core, mart FROM trawl_analyst;
REVOKE USAGE ON SCHEMA core, mart FROM trawl_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA core, mart REVOKE SELECT ON TABLES FROM trawl_analyst;
DROP VIEW IF EXISTS mart.price_lineage, mart.best_prices, mart.historical_lows, mart.historical_lows_by_store, mart.trusted_prices,
          mart.deals, mart.current_prices, mart.price_history CASCADE;
