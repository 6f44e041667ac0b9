-- Issue 6 (hand-written: FORCE RLS, policies and SECURITY DEFINER functions are beyond drizzle-kit).

ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE feedback FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY feedback_select ON feedback FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY feedback_insert ON feedback FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY feedback_update ON feedback FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY feedback_delete ON feedback FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint
ALTER TABLE feedback ADD CONSTRAINT feedback_source_valid CHECK (source in ('signed', 'link'));--> statement-breakpoint
ALTER TABLE feedback ADD CONSTRAINT feedback_comment_length CHECK (length(comment) <= 2000);--> statement-breakpoint

-- The schema owner reads every tenant's enhancements and feedback only inside the SECURITY DEFINER
-- functions below (FORCE RLS applies to the owner too); the application role never is the owner.
CREATE POLICY enhancements_owner_report ON enhancements FOR SELECT TO CURRENT_USER USING (true);--> statement-breakpoint
CREATE POLICY feedback_owner_report ON feedback FOR SELECT TO CURRENT_USER USING (true);--> statement-breakpoint

-- Billing: tokens and estimated cost per tenant over [p_from, p_to). Aggregates only: no ticket
-- text, no secrets, so the operator CLI (connected as the application role) may read all tenants.
CREATE FUNCTION tenant_usage(p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (slug text, name text, enhancements bigint, llm_calls bigint, tokens_in bigint, tokens_out bigint, cost_usd numeric)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
    SELECT t.slug, t.name,
           count(e.id),
           count(e.id) FILTER (WHERE e.tokens_in IS NOT NULL),
           coalesce(sum(e.tokens_in), 0)::bigint,
           coalesce(sum(e.tokens_out), 0)::bigint,
           coalesce(sum(e.cost_usd), 0)
      FROM public.tenants t
      LEFT JOIN public.enhancements e
        ON e.tenant_id = t.id AND e.created_at >= p_from AND e.created_at < p_to
     GROUP BY t.slug, t.name
     ORDER BY t.slug
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION tenant_usage(timestamptz, timestamptz) FROM PUBLIC;--> statement-breakpoint

-- The "not helpful" rate per tenant since p_since, for metrics. Counts only.
CREATE FUNCTION feedback_rates(p_since timestamptz)
  RETURNS TABLE (slug text, helpful bigint, not_helpful bigint)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
    SELECT t.slug,
           count(f.id) FILTER (WHERE f.helpful),
           count(f.id) FILTER (WHERE NOT f.helpful)
      FROM public.tenants t
      LEFT JOIN public.feedback f ON f.tenant_id = t.id AND f.created_at >= p_since
     GROUP BY t.slug
     ORDER BY t.slug
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION feedback_rates(timestamptz) FROM PUBLIC;
