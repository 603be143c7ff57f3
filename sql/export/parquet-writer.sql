-- DuckDB statements of the Parquet writer (src/export/parquet-writer.ts), not Postgres's. {columns},
-- {select} and {file} are filled in with quoted identifiers and a quoted path.

-- name: drop_part
DROP TABLE IF EXISTS part;

-- name: create_part
-- Every column as text: the rows come as Postgres's own text and are cast when written.
CREATE TABLE part ({columns});

-- name: write_part
COPY (SELECT {select} FROM part) TO {file} (FORMAT parquet, COMPRESSION zstd);

-- name: clear_part
DELETE FROM part;
