-- path: v1/search/{shard}.json
-- description: One shard of the search index: every title word (token) with one two-character prefix, a page of up to 1000, sorted by token in byte order. v1/search/index.json says which shard holds which tokens.
-- shape: list
-- columns: shard, token, game_id, title
SELECT shard, token, game_id, game_title AS title
FROM mart.search_tokens
ORDER BY shard COLLATE "C", token, game_title COLLATE "C", game_id
