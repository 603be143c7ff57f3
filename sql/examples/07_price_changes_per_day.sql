-- How many prices changed each day, per store (first sightings excluded).
SELECT date_trunc('day', valid_from) AS day, store_id, count(*) AS changes
FROM (
  SELECT p.*, row_number() OVER (PARTITION BY listing_id, region_code, currency, source ORDER BY valid_from) AS n
  FROM mart.price_history p
) h
WHERE n > 1
GROUP BY 1, 2
ORDER BY 1, 2;
