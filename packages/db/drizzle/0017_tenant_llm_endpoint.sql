ALTER TABLE "tenants" ADD COLUMN "llm_endpoint" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "llm_base_url" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "llm_azure_deployment" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "llm_azure_api_version" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "llm_api_key_enc" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_llm_endpoint_whole" CHECK (("tenants"."llm_endpoint" is null and "tenants"."llm_base_url" is null and "tenants"."llm_azure_deployment" is null and "tenants"."llm_azure_api_version" is null and "tenants"."llm_api_key_enc" is null)
        or ("tenants"."llm_endpoint" = 'openai' and "tenants"."llm_api_key_enc" is not null and "tenants"."llm_azure_deployment" is null and "tenants"."llm_azure_api_version" is null)
        or ("tenants"."llm_endpoint" = 'compatible' and "tenants"."llm_base_url" is not null and "tenants"."llm_api_key_enc" is not null and "tenants"."llm_azure_deployment" is null and "tenants"."llm_azure_api_version" is null)
        or ("tenants"."llm_endpoint" = 'azure' and "tenants"."llm_base_url" is not null and "tenants"."llm_api_key_enc" is not null and "tenants"."llm_azure_deployment" is not null and "tenants"."llm_azure_api_version" is not null));--> statement-breakpoint
-- The usage report names the endpoint that serves each tenant (its kind and base URL, never the key),
-- so an MSP can bill the client or let it bring its own key.
DROP FUNCTION tenant_usage(timestamptz, timestamptz);--> statement-breakpoint
CREATE FUNCTION tenant_usage(p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (slug text, name text, enhancements bigint, llm_calls bigint, tokens_in bigint, tokens_out bigint, cost_usd numeric, embedding_tokens bigint, embedding_cost_usd numeric, llm_endpoint text, llm_base_url text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
    SELECT t.slug, t.name, e.enhancements, e.llm_calls, e.tokens_in, e.tokens_out,
           e.cost_usd + u.cost_usd, u.tokens, u.cost_usd, t.llm_endpoint, t.llm_base_url
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
