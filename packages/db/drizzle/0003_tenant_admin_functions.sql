-- Issue 3: what the operator CLI and token-mode webhooks need from tenants the application role is
-- not scoped to. Each function is SECURITY DEFINER with a fixed search_path and returns only the
-- columns its caller needs; none returns a secret except webhook_tenant (encrypted, for authentication).

-- webhook_tenant gains webhook_token_enabled. A RETURNS TABLE signature cannot be replaced in place,
-- so the function is dropped and recreated; the roles that could execute it keep that right within
-- this same transaction, so running API instances never see it missing. (Older API versions read
-- the result by column name and ignore the new column.)
DO $migration$
DECLARE
  grantees text[];
  grantee text;
BEGIN
  SELECT coalesce(array_agg(a.grantee::regrole::text), '{}') INTO grantees
    FROM pg_proc p, aclexplode(p.proacl) a
   WHERE p.oid = 'public.webhook_tenant(text)'::regprocedure
     AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner;
  DROP FUNCTION public.webhook_tenant(text);
  CREATE FUNCTION public.webhook_tenant(p_slug text)
    RETURNS TABLE (id uuid, status text, webhook_secret_enc text, webhook_secret_previous_enc text, webhook_token_enabled boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $fn$ SELECT t.id, t.status, t.webhook_secret_enc, t.webhook_secret_previous_enc, t.webhook_token_enabled FROM public.tenants t WHERE t.slug = p_slug $fn$;
  REVOKE ALL ON FUNCTION public.webhook_tenant(text) FROM PUBLIC;
  FOREACH grantee IN ARRAY grantees LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.webhook_tenant(text) TO %s', grantee);
  END LOOP;
END
$migration$;
--> statement-breakpoint

-- The operator's view across tenants (tenant list, slug → id, keys rotate): names and settings only,
-- never a secret, encrypted or not. Everything secret is then read per tenant under withTenant().
CREATE FUNCTION tenant_directory()
  RETURNS TABLE (
    id uuid, slug text, name text, status text, sdp_base_url text, sdp_auth_type text, llm_model text,
    webhook_token_enabled boolean, rotating_webhook_secret boolean, created_at timestamptz, updated_at timestamptz
  )
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT t.id, t.slug, t.name, t.status, t.sdp_base_url, t.sdp_auth_type, t.llm_model,
               t.webhook_token_enabled, t.webhook_secret_previous_enc IS NOT NULL, t.created_at, t.updated_at
          FROM public.tenants t ORDER BY t.slug $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION tenant_directory() FROM PUBLIC;
