CREATE TABLE "erasure_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"erased_tenant_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"actor" text NOT NULL,
	"rows_deleted" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"redis_keys_deleted" integer DEFAULT 0 NOT NULL,
	"runs" integer DEFAULT 1 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "erasure_log_erased_tenant_id_unique" UNIQUE("erased_tenant_id")
);
--> statement-breakpoint
-- Tenant erasure (`tenant erase`, issue 24; hand-written: drizzle-kit cannot express functions).
-- The operator CLI connects as the application role, which may not delete from tenants, enhancements,
-- feedback, audit_log or reconcile_cursors (append-only for the API and worker, see TABLE_GRANTS in
-- migrate.ts). These SECURITY DEFINER functions are its only way to, and each refuses unless:
--   * the transaction is scoped to the tenant (withTenant: current_tenant_id() = p_tenant), so
--     row-level security, which FORCE applies to the owner too, still narrows every statement;
--   * the tenant is disabled and its erasure was begun (an erasure_log record is open).
-- The table is named by the caller (found from the schema: every table of public with a tenant_id
-- column) and checked to be one before it is formatted into the statement with %I.
CREATE FUNCTION erasure_check(p_tenant uuid) RETURNS void
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
BEGIN
  IF p_tenant IS DISTINCT FROM current_tenant_id() THEN
    RAISE EXCEPTION 'erasure: the transaction is not scoped to tenant %', p_tenant;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.tenants WHERE id = p_tenant AND status = 'disabled') THEN
    RAISE EXCEPTION 'erasure: tenant % is not disabled', p_tenant;
  END IF;
END $$;
--> statement-breakpoint
-- Every tenant table: each table of public with a tenant_id column (as findTenantTables() finds them).
CREATE FUNCTION erasure_tenant_tables() RETURNS SETOF text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, public
  AS $$
  SELECT c.relname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     AND a.attname = 'tenant_id' AND NOT a.attisdropped
   ORDER BY 1 $$;
--> statement-breakpoint
CREATE FUNCTION erasure_table_check(p_table text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, public
  AS $$
BEGIN
  IF p_table NOT IN (SELECT public.erasure_tenant_tables()) THEN
    RAISE EXCEPTION 'erasure: % is not a tenant table', p_table;
  END IF;
END $$;
--> statement-breakpoint
-- Starts (or, after a crash, continues) the erasure of a disabled tenant: its one audit record, with
-- the tenant's rows per table as they are when it starts. Counted here, not as batches delete them:
-- ticket_history's trigger deletes the search index's rows with their tickets, which no batch counts.
CREATE FUNCTION erasure_begin(p_tenant uuid, p_actor text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
DECLARE
  t text;
  found_rows bigint;
  counts jsonb := '{"tenants": 1}';
BEGIN
  PERFORM public.erasure_check(p_tenant);
  IF EXISTS (SELECT 1 FROM public.erasure_log WHERE erased_tenant_id = p_tenant) THEN
    UPDATE public.erasure_log SET runs = runs + 1 WHERE erased_tenant_id = p_tenant;
    RETURN;
  END IF;
  FOR t IN SELECT public.erasure_tenant_tables() LOOP
    EXECUTE format('SELECT count(*) FROM public.%I WHERE tenant_id = $1', t) INTO found_rows USING p_tenant;
    counts := counts || jsonb_build_object(t, found_rows);
  END LOOP;
  INSERT INTO public.erasure_log (erased_tenant_id, slug, actor, rows_deleted)
  SELECT id, slug, p_actor, counts FROM public.tenants WHERE id = p_tenant;
END $$;
--> statement-breakpoint
-- Deletes at most p_limit rows of the tenant from one table, in the caller's (short) transaction.
CREATE FUNCTION erasure_delete_batch(p_tenant uuid, p_table text, p_limit integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
DECLARE
  deleted integer;
BEGIN
  PERFORM public.erasure_check(p_tenant);
  PERFORM public.erasure_table_check(p_table);
  EXECUTE format(
    'DELETE FROM public.%I WHERE ctid = ANY (ARRAY(SELECT ctid FROM public.%I WHERE tenant_id = $1 LIMIT $2))',
    p_table, p_table) USING p_tenant, p_limit;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END $$;
--> statement-breakpoint
-- The proof: rows of the tenant left in one table. Only a count, whatever the table's grants.
CREATE FUNCTION erasure_count(p_tenant uuid, p_table text) RETURNS bigint
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
DECLARE
  left_rows bigint;
BEGIN
  IF p_tenant IS DISTINCT FROM current_tenant_id() THEN
    RAISE EXCEPTION 'erasure: the transaction is not scoped to tenant %', p_tenant;
  END IF;
  IF p_table = 'tenants' THEN
    SELECT count(*) INTO left_rows FROM public.tenants WHERE id = p_tenant;
  ELSE
    PERFORM public.erasure_table_check(p_table);
    EXECUTE format('SELECT count(*) FROM public.%I WHERE tenant_id = $1', p_table) INTO left_rows USING p_tenant;
  END IF;
  RETURN left_rows;
END $$;
--> statement-breakpoint
-- The last step: the tenants row (its encrypted credentials and webhook secrets with it) and the
-- record's end, together. Refuses while any tenant table still holds a row of the tenant, so the
-- foreign keys' ON DELETE CASCADE never turns this into one unbounded delete.
CREATE FUNCTION erasure_finish(p_tenant uuid, p_redis_keys integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
DECLARE
  t text;
  left_rows bigint;
BEGIN
  PERFORM public.erasure_check(p_tenant);
  FOR t IN SELECT public.erasure_tenant_tables() LOOP
    EXECUTE format('SELECT count(*) FROM public.%I WHERE tenant_id = $1', t) INTO left_rows USING p_tenant;
    IF left_rows > 0 THEN
      RAISE EXCEPTION 'erasure: table % still holds % rows of the tenant', t, left_rows;
    END IF;
  END LOOP;
  DELETE FROM public.tenants WHERE id = p_tenant;
  UPDATE public.erasure_log
     SET redis_keys_deleted = redis_keys_deleted + p_redis_keys, finished_at = now()
   WHERE erased_tenant_id = p_tenant;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_check(uuid) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_begin(uuid, text) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_delete_batch(uuid, text, integer) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_count(uuid, text) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_finish(uuid, integer) FROM PUBLIC;
