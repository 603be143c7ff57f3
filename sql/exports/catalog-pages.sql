-- path: v1/catalog/{page}.json
-- description: Every exported game A to Z: one page of up to 500 games of one letter (a-z, 0-9, other), sorted by normalised title, with how many stores price it now and whether it is on sale.
-- shape: list
-- columns: page, game_id, title, stores, on_sale
SELECT page, game_id, game_title AS title, stores::int AS stores, on_sale
FROM mart.catalog
ORDER BY page COLLATE "C", sort_title COLLATE "C", game_id
