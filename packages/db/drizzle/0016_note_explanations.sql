CREATE TABLE "llm_exchanges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"enhancement_id" uuid NOT NULL,
	"prompt" text NOT NULL,
	"prompt_truncated" boolean DEFAULT false NOT NULL,
	"answer" text,
	"answer_truncated" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "explanation" jsonb;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "keep_llm_io_days" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "llm_exchanges" ADD CONSTRAINT "llm_exchanges_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_exchanges" ADD CONSTRAINT "llm_exchanges_enhancement_id_enhancements_id_fk" FOREIGN KEY ("enhancement_id") REFERENCES "public"."enhancements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "llm_exchanges_tenant_created_idx" ON "llm_exchanges" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "llm_exchanges_enhancement_idx" ON "llm_exchanges" USING btree ("enhancement_id");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_keep_llm_io_days_range" CHECK ("tenants"."keep_llm_io_days" between 0 and 90);--> statement-breakpoint
ALTER TABLE llm_exchanges ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE llm_exchanges FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY llm_exchanges_select ON llm_exchanges FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY llm_exchanges_insert ON llm_exchanges FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY llm_exchanges_update ON llm_exchanges FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY llm_exchanges_delete ON llm_exchanges FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint
-- `note show <ref>`: a note's reference (ai-agents:<enhancement id>) names no tenant, and the
-- application role sees no enhancement outside a tenant's scope. This answers whose note it is (the
-- tenant's id and slug, nothing of the note); the CLI then reads the note under that tenant's RLS.
CREATE FUNCTION note_owner(p_enhancement uuid)
  RETURNS TABLE (tenant_id uuid, slug text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$ SELECT e.tenant_id, t.slug FROM public.enhancements e JOIN public.tenants t ON t.id = e.tenant_id
         WHERE e.id = p_enhancement $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION note_owner(uuid) FROM PUBLIC;
