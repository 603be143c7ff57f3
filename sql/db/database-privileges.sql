-- Rights on the database itself, applied after the migrations by every command that migrates:
-- a database's rights are not part of its schema, so a database created from a migrated template,
-- or restored from a dump without them, would not have them. An analyst (any role but trawl's own)
-- creates no temporary tables; trawl's role keeps TEMPORARY (ingest stages files in temp tables).
-- Only a superuser or the database's owner may change them; trawl's role otherwise leaves them to
-- the operator (docs/operations.md, "The analyst role"). Changed only when they differ, so
-- commands starting together do not write the same catalog row.

-- name: restrict_database
DO $$
DECLARE
  db text := current_database();
BEGIN
  IF NOT (has_database_privilege('public', db, 'TEMPORARY') OR NOT has_database_privilege('trawl_analyst', db, 'CONNECT')) THEN
    RETURN;
  END IF;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = db) <> current_user THEN
    RETURN;
  END IF;
  EXECUTE format('GRANT TEMPORARY, CONNECT ON DATABASE %I TO %I', db, current_user);
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', db);
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO trawl_analyst', db);
END
$$
