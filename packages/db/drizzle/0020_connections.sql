CREATE TABLE "connection_accounts_seen" (
	"connection_id" uuid NOT NULL,
	"sdp_account_id" text NOT NULL,
	"sdp_account_name" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deliveries" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "connection_accounts_seen_connection_id_sdp_account_id_pk" PRIMARY KEY("connection_id","sdp_account_id"),
	CONSTRAINT "connection_accounts_seen_account_id_format" CHECK ("connection_accounts_seen"."sdp_account_id" ~ '^[0-9]{1,20}$'),
	CONSTRAINT "connection_accounts_seen_account_name_length" CHECK (length("connection_accounts_seen"."sdp_account_name") <= 200)
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"edition" text NOT NULL,
	"sdp_base_url" text NOT NULL,
	"sdp_auth_type" text NOT NULL,
	"sdp_credentials_enc" text NOT NULL,
	"webhook_secret_enc" text,
	"webhook_secret_previous_enc" text,
	"webhook_token_enabled" boolean DEFAULT false NOT NULL,
	"sdp_rate_limit_per_minute" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_slug_unique" UNIQUE("slug"),
	CONSTRAINT "connections_slug_format" CHECK ("connections"."slug" ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	CONSTRAINT "connections_edition_valid" CHECK ("connections"."edition" in ('onprem', 'cloud', 'msp-onprem', 'msp-cloud')),
	CONSTRAINT "connections_sdp_auth_type_valid" CHECK ("connections"."sdp_auth_type" in ('onprem', 'cloud')),
	CONSTRAINT "connections_edition_auth_type" CHECK (("connections"."edition" in ('onprem', 'msp-onprem')) = ("connections"."sdp_auth_type" = 'onprem')),
	CONSTRAINT "connections_sdp_rate_limit_positive" CHECK ("connections"."sdp_rate_limit_per_minute" is null or "connections"."sdp_rate_limit_per_minute" > 0)
);
--> statement-breakpoint
-- Issue 25: a connection is one ServiceDesk Plus instance; a tenant is a connection plus, on the MSP
-- editions, one customer account. Every existing tenant gets a connection of its own with the tenant's
-- id and slug, so what is keyed by the connection from now on (the Zoho token, the learned note shape,
-- the SDP call budget in Redis; the credentials' encryption, bound to the id) carries over unchanged.
-- The tenant keeps its own webhook secret and URL; its connection has none until the operator makes
-- one (`connection rotate-webhook-secret`).
INSERT INTO "connections" ("id", "slug", "name", "edition", "sdp_base_url", "sdp_auth_type", "sdp_credentials_enc", "created_at", "updated_at")
SELECT "id", "slug", "name", "sdp_auth_type", "sdp_base_url", "sdp_auth_type", "sdp_credentials_enc", "created_at", "updated_at" FROM "tenants";--> statement-breakpoint
ALTER TABLE "tenants" DROP CONSTRAINT "tenants_sdp_auth_type_valid";--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "connection_id" uuid;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "sdp_account_id" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "sdp_account_name" text;--> statement-breakpoint
-- FORCE row-level security applies to the owner too, whose only policy on tenants is for SELECT:
-- lifted for this one statement, inside the migration's transaction.
ALTER TABLE "tenants" NO FORCE ROW LEVEL SECURITY;--> statement-breakpoint
UPDATE "tenants" SET "connection_id" = "id";--> statement-breakpoint
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "tenants" ALTER COLUMN "connection_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "connection_accounts_seen" ADD CONSTRAINT "connection_accounts_seen_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenants" DROP COLUMN "sdp_base_url";--> statement-breakpoint
ALTER TABLE "tenants" DROP COLUMN "sdp_auth_type";--> statement-breakpoint
ALTER TABLE "tenants" DROP COLUMN "sdp_credentials_enc";--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_connection_account_unique" UNIQUE NULLS NOT DISTINCT("connection_id","sdp_account_id");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_sdp_account_id_format" CHECK ("tenants"."sdp_account_id" ~ '^[0-9]{1,20}$');--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_sdp_account_name_length" CHECK (length("tenants"."sdp_account_name") <= 200);--> statement-breakpoint
-- Hand-written from here (drizzle-kit cannot express row-level security or functions).
--
-- A connection is visible to a transaction scoped to it (app.connection_id: withConnection(), the
-- operator's connection commands) and, read only, to a transaction scoped to one of its tenants (the
-- worker loads a tenant with its connection). A tenant's transaction cannot change the connection it
-- shares with other tenants.
CREATE FUNCTION current_connection_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.connection_id', true), '')::uuid $$;
--> statement-breakpoint
ALTER TABLE "connections" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "connections" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY connections_select ON connections FOR SELECT
  USING (id = current_connection_id() OR id = (SELECT t.connection_id FROM tenants t WHERE t.id = current_tenant_id()));--> statement-breakpoint
CREATE POLICY connections_insert ON connections FOR INSERT WITH CHECK (id = current_connection_id());--> statement-breakpoint
CREATE POLICY connections_update ON connections FOR UPDATE USING (id = current_connection_id()) WITH CHECK (id = current_connection_id());--> statement-breakpoint
CREATE POLICY connections_delete ON connections FOR DELETE USING (id = current_connection_id());--> statement-breakpoint
-- The owner (the SECURITY DEFINER functions below: directory, webhook lookup, erasure) sees every row.
CREATE POLICY connections_owner ON connections FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);--> statement-breakpoint
ALTER TABLE "connection_accounts_seen" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "connection_accounts_seen" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY connection_accounts_seen_select ON connection_accounts_seen FOR SELECT USING (connection_id = current_connection_id());--> statement-breakpoint
CREATE POLICY connection_accounts_seen_owner ON connection_accounts_seen FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);--> statement-breakpoint
-- The operator's tenant list (tenant_directory, migration 0003) reads the portal from the connection now
-- and names the connection and account. Its RETURNS TABLE changes, so it is dropped and recreated with
-- the roles that could execute it, in this transaction (as 0003 did for webhook_tenant).
DO $migration$
DECLARE
  grantees text[];
  grantee text;
BEGIN
  SELECT coalesce(array_agg(a.grantee::regrole::text), '{}') INTO grantees
    FROM pg_proc p, aclexplode(p.proacl) a
   WHERE p.oid = 'public.tenant_directory()'::regprocedure
     AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner;
  DROP FUNCTION public.tenant_directory();
  CREATE FUNCTION public.tenant_directory()
    RETURNS TABLE (
      id uuid, slug text, name text, status text, sdp_base_url text, sdp_auth_type text, llm_model text,
      webhook_token_enabled boolean, rotating_webhook_secret boolean, created_at timestamptz, updated_at timestamptz,
      connection_id uuid, connection_slug text, edition text, sdp_account_id text, sdp_account_name text
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $fn$ SELECT t.id, t.slug, t.name, t.status, c.sdp_base_url, c.sdp_auth_type, t.llm_model,
                   t.webhook_token_enabled, t.webhook_secret_previous_enc IS NOT NULL, t.created_at, t.updated_at,
                   c.id, c.slug, c.edition, t.sdp_account_id, t.sdp_account_name
              FROM public.tenants t JOIN public.connections c ON c.id = t.connection_id ORDER BY t.slug $fn$;
  REVOKE ALL ON FUNCTION public.tenant_directory() FROM PUBLIC;
  FOREACH grantee IN ARRAY grantees LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.tenant_directory() TO %s', grantee);
  END LOOP;
END
$migration$;
--> statement-breakpoint
-- The operator's view across connections (connection list, slug → id): names, settings and how many
-- tenants each has, never a secret.
CREATE FUNCTION connection_directory()
  RETURNS TABLE (
    id uuid, slug text, name text, edition text, sdp_base_url text, sdp_auth_type text,
    has_webhook_secret boolean, webhook_token_enabled boolean, rotating_webhook_secret boolean,
    sdp_rate_limit_per_minute integer, tenants integer, created_at timestamptz, updated_at timestamptz
  )
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT c.id, c.slug, c.name, c.edition, c.sdp_base_url, c.sdp_auth_type,
               c.webhook_secret_enc IS NOT NULL, c.webhook_token_enabled, c.webhook_secret_previous_enc IS NOT NULL,
               c.sdp_rate_limit_per_minute, (SELECT count(*)::int FROM public.tenants t WHERE t.connection_id = c.id),
               c.created_at, c.updated_at
          FROM public.connections c ORDER BY c.slug $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION connection_directory() FROM PUBLIC;--> statement-breakpoint
-- The connection's webhook arrives before any scope exists: what its authentication needs, for one slug.
CREATE FUNCTION webhook_connection(p_slug text)
  RETURNS TABLE (id uuid, edition text, webhook_secret_enc text, webhook_secret_previous_enc text, webhook_token_enabled boolean, tenants integer)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT c.id, c.edition, c.webhook_secret_enc, c.webhook_secret_previous_enc, c.webhook_token_enabled,
               (SELECT count(*)::int FROM public.tenants t WHERE t.connection_id = c.id)
          FROM public.connections c WHERE c.slug = p_slug $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION webhook_connection(text) FROM PUBLIC;--> statement-breakpoint
-- An authenticated connection webhook's tenant: the one mapped to the account (null: the single
-- portal's tenant). Only the id, slug and status: the route queues the job and labels the metric.
CREATE FUNCTION connection_account_tenant(p_connection uuid, p_account text)
  RETURNS TABLE (id uuid, slug text, status text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT t.id, t.slug, t.status FROM public.tenants t
         WHERE t.connection_id = p_connection AND t.sdp_account_id IS NOT DISTINCT FROM p_account $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION connection_account_tenant(uuid, text) FROM PUBLIC;--> statement-breakpoint
-- Remembers an account a connection's webhook named that no tenant is mapped to: at most 1000 per
-- connection (CONNECTION_ACCOUNTS_SEEN_MAX), first and last seen, deliveries. Past the bound a new
-- account is not recorded (false), so invented ids cannot grow the table.
CREATE FUNCTION connection_account_seen(p_connection uuid, p_account text, p_name text) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
BEGIN
  UPDATE public.connection_accounts_seen
     SET last_seen_at = now(), deliveries = deliveries + 1,
         sdp_account_name = coalesce(p_name, sdp_account_name)
   WHERE connection_id = p_connection AND sdp_account_id = p_account;
  IF FOUND THEN
    RETURN true;
  END IF;
  IF (SELECT count(*) FROM public.connection_accounts_seen WHERE connection_id = p_connection) >= 1000 THEN
    RETURN false;
  END IF;
  INSERT INTO public.connection_accounts_seen (connection_id, sdp_account_id, sdp_account_name)
  VALUES (p_connection, p_account, p_name)
  ON CONFLICT (connection_id, sdp_account_id)
  DO UPDATE SET last_seen_at = now(), deliveries = public.connection_accounts_seen.deliveries + 1;
  RETURN true;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION connection_account_seen(uuid, text, text) FROM PUBLIC;
--> statement-breakpoint
-- Tenant erasure (0015) now also deletes the tenant's connection when no other tenant uses it: the
-- connection holds the credentials the tenant gave. A connection shared with other tenants stays.
CREATE OR REPLACE FUNCTION erasure_finish(p_tenant uuid, p_redis_keys integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
DECLARE
  t text;
  left_rows bigint;
  v_connection uuid;
BEGIN
  PERFORM public.erasure_check(p_tenant);
  FOR t IN SELECT public.erasure_tenant_tables() LOOP
    EXECUTE format('SELECT count(*) FROM public.%I WHERE tenant_id = $1', t) INTO left_rows USING p_tenant;
    IF left_rows > 0 THEN
      RAISE EXCEPTION 'erasure: table % still holds % rows of the tenant', t, left_rows;
    END IF;
  END LOOP;
  DELETE FROM public.tenants WHERE id = p_tenant RETURNING connection_id INTO v_connection;
  DELETE FROM public.connections c
   WHERE c.id = v_connection AND NOT EXISTS (SELECT 1 FROM public.tenants o WHERE o.connection_id = v_connection);
  UPDATE public.erasure_log
     SET redis_keys_deleted = redis_keys_deleted + p_redis_keys, finished_at = now()
   WHERE erased_tenant_id = p_tenant;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION erasure_finish(uuid, integer) FROM PUBLIC;
