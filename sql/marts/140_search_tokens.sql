-- mart.search_tokens: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Every word of every exported game's title, normalised the way the public page normalises a query
-- (src/export/site/app.js, normalise): accents stripped, lower case, split at ASCII punctuation and
-- spaces. Each search shard holds the tokens of one two-character prefix, in pages of 1000, in byte
-- order (COLLATE "C"), which is the order the page compares strings in.
CREATE OR REPLACE VIEW mart.search_tokens AS
WITH tokens AS (
  SELECT DISTINCT t.token COLLATE "C" AS token, g.game_id, g.title AS game_title
  FROM core.games g
  CROSS JOIN LATERAL regexp_split_to_table(
    lower(regexp_replace(normalize(g.title, NFKD), '[\u0300-\u036f]', '', 'g')),
    '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f[:space:]]+') AS t(token)
  WHERE t.token <> '' AND EXISTS (SELECT 1 FROM core.listings l WHERE l.game_id = g.game_id)
)
SELECT encode(convert_to(left(token, 2), 'UTF8'), 'hex') || '-'
         || ((row_number() OVER (PARTITION BY left(token, 2) ORDER BY token, game_title, game_id) - 1) / 1000) AS shard,
       token, game_id, game_title
FROM tokens;

COMMENT ON VIEW mart.search_tokens IS 'Each word of each exported game''s title (normalised as the public page normalises a search), with the search shard holding it.';
