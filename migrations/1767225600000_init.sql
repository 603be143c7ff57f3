-- Up Migration

CREATE SCHEMA staging;
CREATE SCHEMA core;
CREATE SCHEMA mart;
CREATE SCHEMA ops;

-- ops: one row per pipeline step, read by `trawl status`.
CREATE TABLE ops.runs (
  id            bigserial PRIMARY KEY,
  pipeline_id   text,
  step          text NOT NULL CHECK (step IN ('crawl', 'ingest', 'etl', 'export')),
  spider        text,
  status        text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'partial', 'failed')),
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  pages         integer,
  records       integer,
  new_versions  integer,
  unchanged     integer,
  delisted      integer,
  quarantined   integer,
  errors        integer,
  raw_file      text,
  message       text
);
CREATE INDEX runs_spider_started ON ops.runs (spider, started_at DESC);
COMMENT ON TABLE ops.runs IS 'One row per crawl, ingest, etl or export step; pipeline_id groups the steps of one `trawl run`.';

-- The ETL watermark: the highest staging.versions.id that core reflects.
CREATE TABLE ops.etl_state (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  watermark   bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ops.etl_state DEFAULT VALUES;

-- staging: the ingest ledger, one row per raw file, with how far it has been read.
CREATE TABLE staging.raw_files (
  id                 bigserial PRIMARY KEY,
  path               text NOT NULL UNIQUE,
  source             text,
  run_id             text,
  bytes_ingested     bigint NOT NULL DEFAULT 0,
  lines_ingested     bigint NOT NULL DEFAULT 0,
  finished           boolean NOT NULL DEFAULT false,
  etag               text,
  complete           boolean NOT NULL DEFAULT false,
  first_ingested_at  timestamptz NOT NULL DEFAULT now(),
  last_ingested_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE staging.raw_files IS 'Ingest ledger: each raw file (path relative to the raw folder) and the byte offset ingested so far.';

-- Versions of every record: a new row only when content (minus volatile fields) changes.
-- Rows never change after insert but for the closing of a version (valid_to, final last_seen_at).
CREATE TABLE staging.versions (
  id            bigserial PRIMARY KEY,
  source        text NOT NULL,
  entity        text NOT NULL,
  key           text NOT NULL,
  partition     text NOT NULL,
  version       integer NOT NULL CHECK (version >= 1),
  hash          bytea NOT NULL,
  hash_version  smallint NOT NULL,
  delisted      boolean NOT NULL DEFAULT false,
  data          jsonb,
  source_fields jsonb,
  volatile      text[],
  valid_from    timestamptz NOT NULL,
  valid_to      timestamptz,
  last_seen_at  timestamptz NOT NULL,
  raw_file_id   bigint NOT NULL REFERENCES staging.raw_files (id),
  raw_line      integer NOT NULL,
  run_id        text,
  ingested_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (delisted = (data IS NULL)),
  CHECK (last_seen_at >= valid_from),
  CHECK (valid_to IS NULL OR valid_to >= last_seen_at)
);
-- The change-detection index: one row per key and version number. Ingest numbers versions from
-- key_state under the staging lock; a second writer racing it would collide here, not duplicate.
CREATE UNIQUE INDEX versions_change_detection ON staging.versions (source, entity, key, version);
COMMENT ON TABLE staging.versions IS 'Every distinct version of every record (SCD2 over observations); valid_to is null on the current version. For the current version, key_state has the live last_seen_at.';

-- One narrow row per key: its current version, content hash and when it was last seen. Change
-- detection compares against this table, and an unchanged observation only moves last_seen_at here
-- (a HOT update of a small row), not in the wide versions table.
CREATE TABLE staging.key_state (
  source        text NOT NULL,
  entity        text NOT NULL,
  key           text NOT NULL,
  partition     text NOT NULL,
  version       integer NOT NULL,
  hash          bytea NOT NULL,
  hash_version  smallint NOT NULL,
  delisted      boolean NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  PRIMARY KEY (source, entity, key)
) WITH (fillfactor = 70);
COMMENT ON TABLE staging.key_state IS 'Current version, hash and last-seen time of every key: what change detection compares against.';

CREATE VIEW staging.version_history AS
SELECT v.id, v.source, v.entity, v.key, v.partition, v.version, v.hash, v.hash_version, v.delisted, v.data, v.source_fields,
       v.volatile, v.valid_from, v.valid_to,
       CASE WHEN v.valid_to IS NULL THEN coalesce(s.last_seen_at, v.last_seen_at) ELSE v.last_seen_at END AS last_seen_at,
       v.raw_file_id, v.raw_line, v.run_id, v.ingested_at
FROM staging.versions v
LEFT JOIN staging.key_state s ON v.valid_to IS NULL AND s.source = v.source AND s.entity = v.entity AND s.key = v.key;
COMMENT ON VIEW staging.version_history IS 'staging.versions with the live last_seen_at of current versions.';

-- What a complete crawl saw per partition: the baseline for collapse detection.
CREATE TABLE staging.crawl_partitions (
  raw_file_id   bigint NOT NULL REFERENCES staging.raw_files (id),
  source        text NOT NULL,
  partition     text NOT NULL,
  records       integer NOT NULL,
  complete      boolean NOT NULL,
  collapsed     boolean NOT NULL DEFAULT false,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz NOT NULL,
  PRIMARY KEY (raw_file_id, partition)
);

CREATE TABLE staging.quarantine (
  id                   bigserial PRIMARY KEY,
  raw_file_id          bigint NOT NULL REFERENCES staging.raw_files (id),
  raw_line             integer NOT NULL,
  run_id               text,
  source               text,
  entity               text,
  key                  text,
  reason               text NOT NULL,
  line                 text NOT NULL,
  quarantined_at       timestamptz NOT NULL DEFAULT now(),
  retried_at           timestamptz,
  resolved_at          timestamptz,
  UNIQUE (raw_file_id, raw_line)
);
CREATE INDEX quarantine_open ON staging.quarantine (raw_file_id) WHERE resolved_at IS NULL;
COMMENT ON TABLE staging.quarantine IS 'Raw lines that failed validation, with the reason and where they came from. Never dropped; resolved_at is set when `trawl quarantine retry` lands one.';

-- Whole files a landing bucket delivered that could not be read (not JSON lines, bad gzip).
CREATE TABLE staging.quarantined_files (
  path            text PRIMARY KEY,
  reason          text NOT NULL,
  quarantined_at  timestamptz NOT NULL DEFAULT now()
);

-- The canonical-JSON hash version staging was built with. Ingest refuses to compare hashes of
-- another version; `trawl rehash` moves staging to the current one deliberately.
CREATE TABLE staging.hash_state (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  hash_version  smallint NOT NULL
);
INSERT INTO staging.hash_state (hash_version) VALUES (1);

-- core: the 3NF model.

-- Public ids are derived from natural keys, never from serials: a rebuild gives the same ids.
CREATE FUNCTION core.public_id(prefix text, natural_key text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN prefix || '_' || left(encode(sha256(convert_to(natural_key, 'UTF8')), 'hex'), 12);

-- The matching form of a title: case, marks (TM, R, C), punctuation and spacing do not matter.
CREATE FUNCTION core.normalise_title(title text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN btrim(regexp_replace(lower(regexp_replace(normalize(title, NFKC), '[™®©]', '', 'g')), '[^[:alnum:]]+', ' ', 'g'));
CREATE TABLE core.currencies (
  code      char(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  exponent  smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4),
  name      text NOT NULL
);
INSERT INTO core.currencies (code, exponent, name) VALUES
  ('USD', 2, 'US dollar'), ('EUR', 2, 'Euro'), ('GBP', 2, 'Pound sterling'), ('KRW', 0, 'South Korean won'),
  ('JPY', 0, 'Japanese yen'), ('TRY', 2, 'Turkish lira'), ('CAD', 2, 'Canadian dollar'), ('AUD', 2, 'Australian dollar'),
  ('BRL', 2, 'Brazilian real'), ('PLN', 2, 'Polish zloty'), ('CHF', 2, 'Swiss franc'), ('SEK', 2, 'Swedish krona'),
  ('NOK', 2, 'Norwegian krone'), ('DKK', 2, 'Danish krone'), ('CNY', 2, 'Chinese yuan'), ('INR', 2, 'Indian rupee'),
  ('MXN', 2, 'Mexican peso'), ('RUB', 2, 'Russian ruble'), ('UAH', 2, 'Ukrainian hryvnia'), ('KZT', 2, 'Kazakhstani tenge'),
  ('ARS', 2, 'Argentine peso'), ('CLP', 0, 'Chilean peso'), ('COP', 2, 'Colombian peso'), ('TWD', 2, 'New Taiwan dollar'),
  ('HKD', 2, 'Hong Kong dollar'), ('SGD', 2, 'Singapore dollar'), ('NZD', 2, 'New Zealand dollar'), ('ZAR', 2, 'South African rand'),
  ('IDR', 2, 'Indonesian rupiah'), ('VND', 0, 'Vietnamese dong'), ('THB', 2, 'Thai baht'), ('PHP', 2, 'Philippine peso'),
  ('MYR', 2, 'Malaysian ringgit'), ('ILS', 2, 'Israeli new shekel'), ('SAR', 2, 'Saudi riyal'), ('AED', 2, 'UAE dirham');

CREATE TABLE core.regions (
  region_code  text PRIMARY KEY
);

CREATE TABLE core.stores (
  store_id  text PRIMARY KEY,
  name      text NOT NULL
);

CREATE TABLE core.games (
  game_id      text PRIMARY KEY,
  natural_key  text NOT NULL UNIQUE,
  title        text NOT NULL
);

CREATE TABLE core.listings (
  listing_id        text PRIMARY KEY,
  store_id          text NOT NULL REFERENCES core.stores (store_id),
  store_item_id     text NOT NULL,
  game_id           text NOT NULL REFERENCES core.games (game_id),
  title             text NOT NULL,
  normalised_title  text NOT NULL,
  steam_app_id      bigint,
  url               text,
  match_rule        text NOT NULL CHECK (match_rule IN ('steam_app_id', 'normalised_title_to_steam', 'normalised_title')),
  UNIQUE (store_id, store_item_id)
);
CREATE INDEX listings_game ON core.listings (game_id);
CREATE INDEX listings_normalised_title ON core.listings (normalised_title);

-- A game id that stopped existing (its listings now belong to another game) keeps pointing to the
-- survivor, so published URLs do not break.
CREATE TABLE core.game_aliases (
  alias_id  text PRIMARY KEY,
  game_id   text NOT NULL
);

CREATE TABLE core.prices (
  listing_id          text NOT NULL REFERENCES core.listings (listing_id),
  region_code         text NOT NULL REFERENCES core.regions (region_code),
  currency            char(3) NOT NULL REFERENCES core.currencies (code),
  source              text NOT NULL,
  status              text NOT NULL CHECK (status IN ('available', 'free', 'preorder', 'unavailable', 'subscription', 'delisted')),
  amount              bigint CHECK (amount >= 0),
  regular_amount      bigint CHECK (regular_amount >= 0),
  discount_pct        smallint CHECK (discount_pct BETWEEN 0 AND 100),
  valid_from          timestamptz NOT NULL,
  valid_to            timestamptz,
  staging_version_id  bigint NOT NULL REFERENCES staging.versions (id),
  PRIMARY KEY (listing_id, region_code, currency, source, valid_from),
  CHECK (valid_to IS NULL OR valid_to > valid_from),
  -- A price is a number only when something can be bought for it: never a zero standing in for "not for sale".
  CHECK ((status IN ('available', 'preorder', 'free')) = (amount IS NOT NULL)),
  CHECK (status <> 'free' OR amount = 0)
);
CREATE INDEX prices_version ON core.prices (staging_version_id);
CREATE UNIQUE INDEX prices_one_current ON core.prices (listing_id, region_code, currency, source) WHERE valid_to IS NULL;

-- Down Migration

DROP SCHEMA mart CASCADE;
DROP SCHEMA core CASCADE;
DROP SCHEMA staging CASCADE;
DROP SCHEMA ops CASCADE;
