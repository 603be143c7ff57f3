-- table: games
-- description: Every game: its public id and title.
-- columns: game_id VARCHAR, title VARCHAR
SELECT game_id, game_title AS title FROM mart.games ORDER BY game_id
