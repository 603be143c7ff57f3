-- Where each current price came from: the raw file and line an analyst can open.
SELECT c.game_title, c.region_code, c.amount, l.raw_file, l.raw_line, l.run_id
FROM mart.current_prices c
JOIN mart.price_lineage l USING (staging_version_id)
ORDER BY c.game_title, c.region_code;
