CREATE TABLE "embedding_usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"model" text NOT NULL,
	"tokens" integer NOT NULL,
	"cost_usd" numeric(16, 10),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "embedding_model" text;--> statement-breakpoint
ALTER TABLE "embedding_usage" ADD CONSTRAINT "embedding_usage_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "embedding_usage_tenant_created_idx" ON "embedding_usage" USING btree ("tenant_id","created_at");
--> statement-breakpoint
ALTER TABLE embedding_usage ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE embedding_usage FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY embedding_usage_select ON embedding_usage FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY embedding_usage_insert ON embedding_usage FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY embedding_usage_update ON embedding_usage FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY embedding_usage_delete ON embedding_usage FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint
-- The usage report gains the embeddings API's tokens and cost; cost_usd becomes LLM + embeddings.
-- Each side is summed in its own subquery, so a tenant's enhancements and embedding rows never
-- multiply each other. The result type changes, so the function is dropped and made again.
DROP FUNCTION tenant_usage(timestamptz, timestamptz);--> statement-breakpoint
CREATE FUNCTION tenant_usage(p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (slug text, name text, enhancements bigint, llm_calls bigint, tokens_in bigint, tokens_out bigint, cost_usd numeric, embedding_tokens bigint, embedding_cost_usd numeric)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
    SELECT t.slug, t.name, e.enhancements, e.llm_calls, e.tokens_in, e.tokens_out,
           e.cost_usd + u.cost_usd, u.tokens, u.cost_usd
      FROM public.tenants t
     CROSS JOIN LATERAL (
           SELECT count(x.id) AS enhancements,
                  count(x.id) FILTER (WHERE x.tokens_in IS NOT NULL) AS llm_calls,
                  coalesce(sum(x.tokens_in), 0)::bigint AS tokens_in,
                  coalesce(sum(x.tokens_out), 0)::bigint AS tokens_out,
                  coalesce(sum(x.cost_usd), 0) AS cost_usd
             FROM public.enhancements x
            WHERE x.tenant_id = t.id AND x.created_at >= p_from AND x.created_at < p_to) e
     CROSS JOIN LATERAL (
           SELECT coalesce(sum(y.tokens), 0)::bigint AS tokens, coalesce(sum(y.cost_usd), 0) AS cost_usd
             FROM public.embedding_usage y
            WHERE y.tenant_id = t.id AND y.created_at >= p_from AND y.created_at < p_to) u
     ORDER BY t.slug
  $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION tenant_usage(timestamptz, timestamptz) FROM PUBLIC;
