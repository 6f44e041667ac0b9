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
CREATE FUNCTION erasure_table_check(p_table text) RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, public
  AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname = p_table AND c.relkind IN ('r', 'p')
       AND a.attname = 'tenant_id' AND NOT a.attisdropped
  ) THEN
    RAISE EXCEPTION 'erasure: % is not a tenant table', p_table;
  END IF;
END $$;
--> statement-breakpoint
-- Starts (or, after a crash, continues) the erasure of a disabled tenant: its one audit record.
CREATE FUNCTION erasure_begin(p_tenant uuid, p_actor text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
BEGIN
  PERFORM public.erasure_check(p_tenant);
  INSERT INTO public.erasure_log (erased_tenant_id, slug, actor)
  SELECT id, slug, p_actor FROM public.tenants WHERE id = p_tenant
  ON CONFLICT (erased_tenant_id) DO UPDATE SET runs = erasure_log.runs + 1;
END $$;
--> statement-breakpoint
-- Deletes at most p_limit rows of the tenant from one table and counts them in its erasure record,
-- in the caller's transaction: a crash loses neither rows nor counts, a re-run continues.
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
  IF deleted > 0 THEN
    UPDATE public.erasure_log
       SET rows_deleted = jsonb_set(rows_deleted, ARRAY[p_table],
                                    to_jsonb(coalesce((rows_deleted ->> p_table)::bigint, 0) + deleted))
     WHERE erased_tenant_id = p_tenant;
  END IF;
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
  FOR t IN
    SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND a.attname = 'tenant_id' AND NOT a.attisdropped
  LOOP
    EXECUTE format('SELECT count(*) FROM public.%I WHERE tenant_id = $1', t) INTO left_rows USING p_tenant;
    IF left_rows > 0 THEN
      RAISE EXCEPTION 'erasure: table % still holds % rows of the tenant', t, left_rows;
    END IF;
  END LOOP;
  DELETE FROM public.tenants WHERE id = p_tenant;
  UPDATE public.erasure_log
     SET rows_deleted = jsonb_set(rows_deleted, '{tenants}', to_jsonb(coalesce((rows_deleted ->> 'tenants')::bigint, 0) + 1)),
         redis_keys_deleted = redis_keys_deleted + p_redis_keys, finished_at = now()
   WHERE erased_tenant_id = p_tenant;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_check(uuid) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_begin(uuid, text) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_delete_batch(uuid, text, integer) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_count(uuid, text) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_finish(uuid, integer) FROM PUBLIC;
