CREATE TABLE "embedding_models" (
	"tenant_id" uuid NOT NULL,
	"model_id" text NOT NULL,
	"dimensions" integer NOT NULL,
	"fitted_on" integer NOT NULL,
	"fit" "bytea",
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "embedding_models_pkey" PRIMARY KEY("tenant_id","model_id")
);
--> statement-breakpoint
CREATE TABLE "ticket_vectors" (
	"tenant_id" uuid NOT NULL,
	"history_id" uuid NOT NULL,
	"model_id" text NOT NULL,
	"vector" "bytea" NOT NULL,
	CONSTRAINT "ticket_vectors_pkey" PRIMARY KEY("tenant_id","model_id","history_id")
);
--> statement-breakpoint
ALTER TABLE "embedding_models" ADD CONSTRAINT "embedding_models_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_vectors" ADD CONSTRAINT "ticket_vectors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_vectors" ADD CONSTRAINT "ticket_vectors_history_id_ticket_history_id_fk" FOREIGN KEY ("history_id") REFERENCES "public"."ticket_history"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ticket_vectors_history_idx" ON "ticket_vectors" USING btree ("history_id");--> statement-breakpoint
-- The same row-level security as ticket_terms (0008): a tenant's vectors are its history's words.
ALTER TABLE ticket_vectors ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE ticket_vectors FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY ticket_vectors_select ON ticket_vectors FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_vectors_insert ON ticket_vectors FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_vectors_update ON ticket_vectors FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY ticket_vectors_delete ON ticket_vectors FOR DELETE USING (tenant_id = current_tenant_id());--> statement-breakpoint
ALTER TABLE embedding_models ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE embedding_models FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY embedding_models_select ON embedding_models FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY embedding_models_insert ON embedding_models FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY embedding_models_update ON embedding_models FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY embedding_models_delete ON embedding_models FOR DELETE USING (tenant_id = current_tenant_id());
