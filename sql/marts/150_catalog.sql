-- mart.catalog: applied by src/db/apply-marts.ts after the migrations, only when this file changed.
-- Every exported game for browsing A to Z: grouped by the first letter of its normalised title
-- ('0-9' for a digit, 'other' for the rest), in pages of 500 titles. A new game moves only the pages
-- of its own letter.
CREATE OR REPLACE VIEW mart.catalog AS
WITH games AS (
  SELECT g.game_id, g.title AS game_title,
         lower(regexp_replace(normalize(g.title, NFKD), '[\u0300-\u036f]', '', 'g')) AS sort_title,
         count(DISTINCT c.store_id) FILTER (WHERE c.amount IS NOT NULL) AS stores,
         bool_or(c.status = 'available' AND c.discount_pct > 0) AS on_sale
  FROM core.games g
  JOIN mart.current_prices c ON c.game_id = g.game_id
  GROUP BY g.game_id, g.title
), lettered AS (
  SELECT *, CASE WHEN left(sort_title, 1) ~ '^[a-z]$' THEN left(sort_title, 1) WHEN left(sort_title, 1) ~ '^[0-9]$' THEN '0-9' ELSE 'other' END AS letter
  FROM games
)
SELECT letter || '-' || ((row_number() OVER (PARTITION BY letter ORDER BY sort_title COLLATE "C", game_id) - 1) / 500) AS page,
       letter, game_id, game_title, sort_title, stores, on_sale
FROM lettered;

COMMENT ON VIEW mart.catalog IS 'Every exported game with its A-Z page, the number of stores pricing it now and whether it is on sale.';
