-- Stores, regions, games and listings of the batch. A listing's attributes come from the latest listed
-- version among all its offer keys (also those not in this batch), so incremental and full builds agree.
INSERT INTO core.stores (store_id, name)
SELECT DISTINCT store_id, initcap(replace(store_id, '_', ' ')) FROM etl_offer_versions
ON CONFLICT (store_id) DO NOTHING;

INSERT INTO core.regions (region_code)
SELECT DISTINCT region_code FROM etl_offer_versions
ON CONFLICT (region_code) DO NOTHING;

CREATE TEMP TABLE etl_listings ON COMMIT DROP AS
WITH touched AS (
  SELECT DISTINCT store_id, store_item_id FROM etl_offer_versions
), listing_keys AS (
  SELECT DISTINCT e.store_id, e.store_item_id, e.source, e.key FROM etl_offer_versions e
  UNION
  SELECT l.store_id, l.store_item_id, v.source, v.key
  FROM core.listings l
  JOIN touched t USING (store_id, store_item_id)
  JOIN core.prices p USING (listing_id)
  JOIN staging.versions v ON v.id = p.staging_version_id
)
SELECT DISTINCT ON (k.store_id, k.store_item_id)
       k.store_id, k.store_item_id,
       v.data->>'title' AS title,
       v.data->>'url' AS url,
       (v.data->>'steam_app_id')::bigint AS steam_app_id
FROM listing_keys k
JOIN staging.versions v ON v.source = k.source AND v.entity = 'offer' AND v.key = k.key AND NOT v.delisted
ORDER BY k.store_id, k.store_item_id, v.valid_from DESC, v.source, v.key;

-- Matching rule, in order: a Steam app id links listings of one game across stores; otherwise the
-- normalised title does. listings.match_rule records which rule linked each listing.
ALTER TABLE etl_listings ADD COLUMN game_key text, ADD COLUMN match_rule text;
UPDATE etl_listings
SET game_key = CASE WHEN steam_app_id IS NOT NULL THEN 'steam:' || steam_app_id ELSE 'title:' || core.normalise_title(title) END,
    match_rule = CASE WHEN steam_app_id IS NOT NULL THEN 'steam_app_id' ELSE 'normalised_title' END;

INSERT INTO core.games (game_id, natural_key, title)
SELECT DISTINCT ON (game_key) core.public_id('g', game_key), game_key, title
FROM etl_listings
ORDER BY game_key, store_id, store_item_id
ON CONFLICT (game_id) DO NOTHING;

INSERT INTO core.listings (listing_id, store_id, store_item_id, game_id, title, url, match_rule)
SELECT core.public_id('l', store_id || ':' || store_item_id), store_id, store_item_id, core.public_id('g', game_key),
       title, url, match_rule
FROM etl_listings
ON CONFLICT (listing_id) DO UPDATE
SET game_id = EXCLUDED.game_id, title = EXCLUDED.title, url = EXCLUDED.url, match_rule = EXCLUDED.match_rule;

-- A game's title is its first listing's, by store and item id: the same whatever the batch was.
UPDATE core.games g
SET title = first.title
FROM (
  SELECT DISTINCT ON (game_id) game_id, title
  FROM core.listings
  WHERE game_id IN (SELECT core.public_id('g', game_key) FROM etl_listings)
  ORDER BY game_id, store_id, store_item_id
) first
WHERE g.game_id = first.game_id AND g.title IS DISTINCT FROM first.title;

-- Games no listing points to any more (their listings moved to another game).
DELETE FROM core.games g
WHERE NOT EXISTS (SELECT 1 FROM core.listings l WHERE l.game_id = g.game_id);
