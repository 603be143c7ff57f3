-- path: v1/catalog/index.json
-- description: The A-Z catalogue's pages: each page with its letter, first and last title and number of games.
-- shape: list
-- columns: page, letter, first, last, count
SELECT page, letter, (array_agg(game_title ORDER BY sort_title COLLATE "C", game_id))[1] AS first,
       (array_agg(game_title ORDER BY sort_title COLLATE "C" DESC, game_id DESC))[1] AS last, count(*)::int AS count
FROM mart.catalog
GROUP BY page, letter
ORDER BY CASE letter WHEN '0-9' THEN 0 WHEN 'other' THEN 2 ELSE 1 END, letter COLLATE "C",
         split_part(page, '-', array_length(string_to_array(page, '-'), 1))::int
