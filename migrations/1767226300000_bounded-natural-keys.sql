-- Up Migration
-- Whatever staging holds can be modelled: a normalised title is at most 300 characters (titles
-- longer than that, which ingest now refuses, stay distinct by their first 300), and games' natural
-- keys are unique through their md5, so no title length can exceed a B-tree row again (the probe's
-- 4,000-character title failed every ETL at games_natural_key_key). Public ids are unchanged for
-- every title of up to 300 normalised characters, as every one landed so far is.
CREATE OR REPLACE FUNCTION core.normalise_title(title text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN left(btrim(regexp_replace(lower(regexp_replace(normalize(title, NFKC), '[™®©]', '', 'g')), '[^[:alnum:]]+', ' ', 'g')), 300);
ALTER TABLE core.games DROP CONSTRAINT games_natural_key_key;
CREATE UNIQUE INDEX games_natural_key ON core.games (md5(natural_key));

-- Down Migration
DROP INDEX core.games_natural_key;
ALTER TABLE core.games ADD CONSTRAINT games_natural_key_key UNIQUE (natural_key);
CREATE OR REPLACE FUNCTION core.normalise_title(title text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN btrim(regexp_replace(lower(regexp_replace(normalize(title, NFKC), '[™®©]', '', 'g')), '[^[:alnum:]]+', ' ', 'g'));
