-- Up Migration

-- versions.raw_file_id was a foreign key: a row trigger per inserted version, a third of the
-- cost of landing a first crawl. Ingest writes only the id of the ledger row it holds locked in
-- the same transaction, so the reference cannot dangle unless a ledger row goes away: the ledger
-- is made append-only instead, checked once per statement.
ALTER TABLE staging.versions DROP CONSTRAINT versions_raw_file_id_fkey;

CREATE FUNCTION staging.refuse_ledger_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'staging.raw_files is append-only: versions keep their lineage through its ids';
END
$$;

CREATE TRIGGER raw_files_append_only_delete BEFORE DELETE ON staging.raw_files
  FOR EACH STATEMENT EXECUTE FUNCTION staging.refuse_ledger_removal();
CREATE TRIGGER raw_files_append_only_truncate BEFORE TRUNCATE ON staging.raw_files
  FOR EACH STATEMENT EXECUTE FUNCTION staging.refuse_ledger_removal();
CREATE TRIGGER raw_files_keep_id BEFORE UPDATE OF id ON staging.raw_files
  FOR EACH STATEMENT EXECUTE FUNCTION staging.refuse_ledger_removal();

-- Down Migration

DROP TRIGGER raw_files_keep_id ON staging.raw_files;
DROP TRIGGER raw_files_append_only_truncate ON staging.raw_files;
DROP TRIGGER raw_files_append_only_delete ON staging.raw_files;
DROP FUNCTION staging.refuse_ledger_removal();
ALTER TABLE staging.versions ADD CONSTRAINT versions_raw_file_id_fkey FOREIGN KEY (raw_file_id) REFERENCES staging.raw_files (id);
