-- path: v1/search/{shard}.json
-- description: One shard of the search index: one row whose games are [game_id, title] pairs, each game whose title has a word in the shard's range (v1/search/index.json gives each shard's first and last word: words of one two-character prefix, up to 1000 a shard, in byte order). Pairs, not objects, keep a shard some 40 bytes a game.
-- shape: list
-- rows_per_read: 10
-- columns: shard, games
SELECT shard, json_agg(json_build_array(game_id, game_title) ORDER BY first_token, game_title COLLATE "C", game_id) AS games
FROM (SELECT shard, game_id, game_title, min(token) AS first_token FROM mart.search_tokens GROUP BY shard, game_id, game_title) per_game
GROUP BY shard
ORDER BY shard COLLATE "C"
