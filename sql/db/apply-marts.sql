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

-- name: comment_columns
-- Mart columns share their meaning across views: one dictionary, applied to every mart column after
-- the marts are applied. A column it does not know fails the apply, naming it.
DO $$
DECLARE
  meaning constant jsonb := '{
    "game_id": "Stable public id of the game.",
    "game_title": "Title of the game.",
    "listing_id": "Stable public id of the listing.",
    "store_id": "The store.",
    "store_name": "Display name of the store.",
    "listing_title": "Title as the store shows it.",
    "url": "The listing''s page.",
    "region_code": "Region of the price.",
    "currency": "ISO 4217 currency of the amounts.",
    "source": "Who observed the price: the store''s own spider or an aggregator.",
    "status": "available, preorder, free, unavailable, subscription or delisted.",
    "amount": "Price in minor units of currency; null when not for sale.",
    "regular_amount": "Undiscounted price in minor units.",
    "discount_pct": "Whole-percent discount.",
    "valid_from": "When this price was first observed.",
    "valid_to": "When the next price was first observed; null on the current price.",
    "staging_version_id": "The staging version the price came from.",
    "prev_amount": "The previous price of the same listing, region, currency and source.",
    "next_amount": "The next price of the same listing, region, currency and source.",
    "low_all_time": "Lowest trusted price ever, in minor units.",
    "low_90_days": "Lowest trusted price valid during the 90 days before the latest price change in the data.",
    "staging_key": "Natural key of the staging record.",
    "staging_version": "Version number of the staging record.",
    "raw_file": "Raw file (relative to the raw folder) holding the observation.",
    "raw_line": "Line of the observation in the raw file.",
    "run_id": "Crawl run of the observation.",
    "canonical_game_id": "The game the id names now: itself, or the game it was merged into.",
    "code": "ISO 4217 currency code.",
    "exponent": "Minor units per major unit as a power of ten: amount / 10^exponent.",
    "name": "Name of the currency.",
    "watermark": "Highest staging version id the marts reflect.",
    "updated_at": "When the watermark last moved.",
    "id": "Serial id of the staging version.",
    "low_all_time_at": "When the all-time low last started: the latest valid_from of a trusted price at that amount.",
    "low_all_time_store": "The store of that all-time low.",
    "low_90_days_at": "When the 90-day low last started.",
    "low_90_days_store": "The store of that 90-day low.",
    "shard": "The search shard (v1/search/<shard>.json) holding the token: its two-character prefix in hex and a page number.",
    "token": "One word of the title, normalised: accents stripped, lower case.",
    "page": "The A-Z catalogue page (v1/catalog/<page>.json) listing the game.",
    "letter": "First letter of the normalised title; 0-9 for a digit, other for anything else.",
    "sort_title": "The title normalised for sorting: accents stripped, lower case.",
    "stores": "Number of stores with a current price for the game.",
    "on_sale": "Whether any current offer of the game is discounted.",
    "low_all_time_reached": "The drop brought the price to or under the game''s lowest earlier trusted price in its region and currency.",
    "low_90_days_reached": "The drop brought the price to or under the lowest trusted price valid in the 90 days before.",
    "store_item_id": "The store''s own id of the item.",
    "steam_app_id": "The Steam app id the store gives, if any: listings sharing one are one game.",
    "match_rule": "How the listing was matched to its game: steam_app_id, normalised_title_to_steam or normalised_title."
  }';
  col record;
BEGIN
  FOR col IN
    SELECT c.table_name, c.column_name
    FROM information_schema.columns c
    JOIN information_schema.views v ON v.table_schema = c.table_schema AND v.table_name = c.table_name
    WHERE c.table_schema = 'mart'
  LOOP
    IF NOT meaning ? col.column_name THEN
      RAISE EXCEPTION 'no comment for mart column %.%: add its meaning to comment_columns in sql/db/apply-marts.sql', col.table_name, col.column_name;
    END IF;
    EXECUTE format('COMMENT ON COLUMN mart.%I.%I IS %L', col.table_name, col.column_name, meaning ->> col.column_name);
  END LOOP;
END $$;
