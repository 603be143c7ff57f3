-- mart.game_ids: kept up to date by the ETL (src/etl/apply-marts.ts): replaced only when this file changes.
-- Every game id that answers: a game's own, and each id merged into it (an alias) with the game it
-- now names.
CREATE OR REPLACE VIEW mart.game_ids AS
SELECT game_id, game_id AS canonical_game_id FROM core.games
UNION ALL
SELECT alias_id, game_id FROM core.game_aliases;

COMMENT ON VIEW mart.game_ids IS 'Every game id that answers, with the game it names (itself, or the game an alias was merged into).';
