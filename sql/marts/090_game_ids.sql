-- mart.game_ids: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Every game id that answers: a game's own, and each id merged into it (an alias) with the game it
-- now names.
CREATE OR REPLACE VIEW mart.game_ids AS
SELECT game_id, game_id AS canonical_game_id FROM core.games
UNION ALL
SELECT alias_id, game_id FROM core.game_aliases;

COMMENT ON VIEW mart.game_ids IS 'Every game id that answers, with the game it names (itself, or the game an alias was merged into).';
