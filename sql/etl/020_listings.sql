-- Stores, regions, games and listings of the batch.
--
-- Matching rule (docs/data-model.md), in order:
--   1. a listing that carries a Steam app id belongs to game steam:<app id>            (steam_app_id)
--   2. else, if the listings sharing its normalised title carry exactly one Steam app id,
--      it belongs to that game                                                         (normalised_title_to_steam)
--   3. else it belongs to game title:<normalised title>                               (normalised_title)
-- Rule 2 looks at every listing of the title group, so the groups of touched listings are re-assigned
-- whole: incremental and full builds give the same games.
INSERT INTO core.stores (store_id, name)
SELECT DISTINCT store_id, initcap(replace(store_id, '_', ' ')) FROM etl_offer_versions
ON CONFLICT (store_id) DO NOTHING;

INSERT INTO core.regions (region_code)
SELECT DISTINCT region_code FROM etl_offer_versions
ON CONFLICT (region_code) DO NOTHING;

-- A listing's attributes come from the latest listed version among all its offer keys (also keys not
-- in this batch).
CREATE TEMP TABLE etl_listing_attrs ON COMMIT DROP AS
WITH touched AS (
  SELECT DISTINCT store_id, store_item_id FROM etl_offer_versions
), listing_keys AS (
  SELECT DISTINCT e.store_id, e.store_item_id, e.source, e.key FROM etl_offer_versions e
  UNION
  SELECT l.store_id, l.store_item_id, v.source, v.key
  FROM core.listings l
  JOIN touched t USING (store_id, store_item_id)
  JOIN core.prices p USING (listing_id)
  JOIN staged_offers v ON v.id = p.staging_version_id
)
SELECT DISTINCT ON (k.store_id, k.store_item_id)
       k.store_id, k.store_item_id,
       v.data->>'title' AS title,
       core.normalise_title(v.data->>'title') AS normalised_title,
       v.data->>'url' AS url,
       (v.data->>'steam_app_id')::bigint AS steam_app_id
FROM listing_keys k
JOIN staged_offers v ON v.source = k.source AND v.key = k.key AND NOT v.delisted
ORDER BY k.store_id, k.store_item_id, v.valid_from DESC, v.source, v.key;

-- Every listing of the touched title groups (old and new titles), with its attributes.
CREATE TEMP TABLE etl_assign ON COMMIT DROP AS
WITH titles AS (
  SELECT normalised_title FROM etl_listing_attrs
  UNION
  SELECT l.normalised_title FROM core.listings l JOIN etl_listing_attrs a USING (store_id, store_item_id)
)
SELECT store_id, store_item_id, title, normalised_title, url, steam_app_id FROM etl_listing_attrs
UNION ALL
SELECT l.store_id, l.store_item_id, l.title, l.normalised_title, l.url, l.steam_app_id
FROM core.listings l
WHERE l.normalised_title IN (SELECT normalised_title FROM titles)
  AND NOT EXISTS (SELECT 1 FROM etl_listing_attrs a WHERE a.store_id = l.store_id AND a.store_item_id = l.store_item_id);

ALTER TABLE etl_assign ADD COLUMN game_key text, ADD COLUMN match_rule text;
UPDATE etl_assign a
SET game_key = CASE WHEN a.steam_app_id IS NOT NULL THEN 'steam:' || a.steam_app_id
                    WHEN g.steam_ids = 1 THEN 'steam:' || g.steam_app_id
                    ELSE 'title:' || a.normalised_title END,
    match_rule = CASE WHEN a.steam_app_id IS NOT NULL THEN 'steam_app_id'
                      WHEN g.steam_ids = 1 THEN 'normalised_title_to_steam'
                      ELSE 'normalised_title' END
FROM (
  SELECT t.normalised_title, count(DISTINCT s.steam_app_id) AS steam_ids, min(s.steam_app_id) AS steam_app_id
  FROM (SELECT DISTINCT normalised_title FROM etl_assign) t
  LEFT JOIN etl_assign s ON s.normalised_title = t.normalised_title AND s.steam_app_id IS NOT NULL
  GROUP BY t.normalised_title
) g
WHERE g.normalised_title = a.normalised_title;

-- Game ids whose listings move elsewhere, to keep them as aliases if they end up empty.
CREATE TEMP TABLE etl_moved ON COMMIT DROP AS
SELECT l.game_id AS old_game_id, min(core.public_id('g', a.game_key)) AS new_game_id
FROM core.listings l
JOIN etl_assign a USING (store_id, store_item_id)
WHERE l.game_id <> core.public_id('g', a.game_key)
GROUP BY l.game_id;

INSERT INTO core.games (game_id, natural_key, title)
SELECT DISTINCT ON (game_key) core.public_id('g', game_key), game_key, title
FROM etl_assign
ORDER BY game_key, store_id, store_item_id
ON CONFLICT (game_id) DO NOTHING;

INSERT INTO core.listings (listing_id, store_id, store_item_id, game_id, title, normalised_title, steam_app_id, url, match_rule)
SELECT core.public_id('l', store_id || ':' || store_item_id), store_id, store_item_id, core.public_id('g', game_key),
       title, normalised_title, steam_app_id, url, match_rule
FROM etl_assign
ON CONFLICT (listing_id) DO UPDATE
SET game_id = EXCLUDED.game_id, title = EXCLUDED.title, normalised_title = EXCLUDED.normalised_title,
    steam_app_id = EXCLUDED.steam_app_id, url = EXCLUDED.url, match_rule = EXCLUDED.match_rule;

-- A game's title is its first listing's, by store and item id: the same whatever the batch was.
UPDATE core.games g
SET title = first.title
FROM (
  SELECT DISTINCT ON (game_id) game_id, title
  FROM core.listings
  WHERE game_id IN (SELECT core.public_id('g', game_key) FROM etl_assign UNION SELECT old_game_id FROM etl_moved)
  ORDER BY game_id, store_id, store_item_id
) first
WHERE g.game_id = first.game_id AND g.title IS DISTINCT FROM first.title;

-- Merged games: an emptied game id becomes an alias of where its listings went (and so do its aliases).
INSERT INTO core.game_aliases (alias_id, game_id)
SELECT m.old_game_id, m.new_game_id
FROM etl_moved m
WHERE NOT EXISTS (SELECT 1 FROM core.listings l WHERE l.game_id = m.old_game_id)
ON CONFLICT (alias_id) DO UPDATE SET game_id = EXCLUDED.game_id;

UPDATE core.game_aliases a
SET game_id = m.new_game_id
FROM etl_moved m
WHERE a.game_id = m.old_game_id AND NOT EXISTS (SELECT 1 FROM core.listings l WHERE l.game_id = m.old_game_id);

-- A game that is live again is no longer an alias.
DELETE FROM core.game_aliases a USING etl_assign e WHERE a.alias_id = core.public_id('g', e.game_key);

DELETE FROM core.games g
USING etl_moved m
WHERE g.game_id = m.old_game_id AND NOT EXISTS (SELECT 1 FROM core.listings l WHERE l.game_id = g.game_id);
