-- table: stores
-- description: Every store: its id and display name.
-- columns: store_id VARCHAR, name VARCHAR
SELECT store_id, store_name AS name FROM mart.stores ORDER BY store_id
