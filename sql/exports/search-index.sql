-- path: v1/search/index.json
-- description: The search index's directory: each shard with its first and last token (byte order). A search fetches this and the shard whose range holds its rarest word.
-- shape: list
-- columns: shard, first, last, count
SELECT shard, min(token) AS first, max(token) AS last, count(*)::int AS count
FROM mart.search_tokens
GROUP BY shard
ORDER BY first, shard COLLATE "C"
