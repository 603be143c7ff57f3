-- Up Migration

-- The analyst role reads core and mart and can do nothing else that touches trawl: advisory locks
-- are how trawl orders its runs (one per spider, the ETL, the export, staging writers), and any
-- role may take any key by default, so an analyst's pg_try_advisory_lock(7401100, …) made every
-- `trawl run` exit 4. Temporary tables, large objects and functions are storage and code an
-- analyst has no need to create. The function rights belong to PUBLIC in this database (they are
-- per database, and kept by a template's copies and by dumps); only a superuser can take them back:
-- a migration run by another role says what an operator must run. TEMPORARY, a right on the
-- database itself, is set after every migration run (sql/db/database-privileges.sql).
DO $$
DECLARE
  me text := current_user;
  superuser boolean := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
  f regprocedure;
BEGIN
  IF superuser THEN
    FOR f IN
      SELECT p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = 'pg_catalog'::regnamespace
        AND (p.proname LIKE 'pg\_%advisory\_%' OR p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', 'lo_import'))
    LOOP
      EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, me);
    END LOOP;
  ELSE
    RAISE NOTICE 'trawl: not a superuser, so any role may still take trawl''s advisory locks and create large objects in this database; a superuser should apply migrations/1767226500000_analyst-cannot-interfere.sql (docs/operations.md, "The analyst role")';
  END IF;
END
$$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA staging, ops FROM PUBLIC;

-- Down Migration

DO $$
DECLARE
  f regprocedure;
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    FOR f IN
      SELECT p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = 'pg_catalog'::regnamespace
        AND (p.proname LIKE 'pg\_%advisory\_%' OR p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', 'lo_import'))
    LOOP
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
  END IF;
END
$$;
