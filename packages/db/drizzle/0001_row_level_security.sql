-- Tenant isolation (hand-written: drizzle-kit cannot express FORCE RLS or SECURITY DEFINER functions).
--
-- The tenant of a transaction is the transaction-local setting app.tenant_id, set by withTenant()
-- with set_config(..., true). With no tenant set, current_tenant_id() is null and every policy
-- compares against null: no rows are visible and no row can be written.

CREATE FUNCTION current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;
--> statement-breakpoint

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenants_select ON tenants FOR SELECT USING (id = current_tenant_id());--> statement-breakpoint
CREATE POLICY tenants_insert ON tenants FOR INSERT WITH CHECK (id = current_tenant_id());--> statement-breakpoint
CREATE POLICY tenants_update ON tenants FOR UPDATE USING (id = current_tenant_id()) WITH CHECK (id = current_tenant_id());--> statement-breakpoint
CREATE POLICY tenants_delete ON tenants FOR DELETE USING (id = current_tenant_id());--> statement-breakpoint
-- The schema owner (the migration role) reads tenants only through the SECURITY DEFINER functions
-- below; the application role never has the owner's identity.
CREATE POLICY tenants_owner_lookup ON tenants FOR SELECT TO CURRENT_USER USING (true);--> statement-breakpoint

ALTER TABLE enhancements ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE enhancements FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY enhancements_select ON enhancements FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY enhancements_insert ON enhancements FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY enhancements_update ON enhancements FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY enhancements_delete ON enhancements FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint

ALTER TABLE ticket_history ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE ticket_history FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY ticket_history_select ON ticket_history FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_history_insert ON ticket_history FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_history_update ON ticket_history FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_history_delete ON ticket_history FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY audit_log_select ON audit_log FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY audit_log_insert ON audit_log FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY audit_log_update ON audit_log FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY audit_log_delete ON audit_log FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint

-- The webhook arrives before we know the tenant: it names a slug. This narrow function answers
-- exactly what authentication needs (id, status, encrypted secrets) for one slug, and nothing else.
CREATE FUNCTION webhook_tenant(p_slug text)
  RETURNS TABLE (id uuid, status text, webhook_secret_enc text, webhook_secret_previous_enc text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT t.id, t.status, t.webhook_secret_enc, t.webhook_secret_previous_enc FROM public.tenants t WHERE t.slug = p_slug $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION webhook_tenant(text) FROM PUBLIC;
