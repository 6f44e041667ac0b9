CREATE TABLE "history_import_cursors" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"since" text DEFAULT '' NOT NULL,
	"next_start_index" integer NOT NULL,
	"imported" integer DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "system_inventory" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"hostname" text,
	"ip_address" text,
	"asset_tag" text,
	"kind" text,
	"os" text,
	"location" text,
	"owner" text,
	"notes" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "system_inventory_tenant_key_unique" UNIQUE NULLS NOT DISTINCT("tenant_id","hostname","asset_tag")
);
--> statement-breakpoint
CREATE TABLE "ticket_history_stats" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"docs" bigint NOT NULL,
	"total_length" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ticket_term_stats" (
	"tenant_id" uuid NOT NULL,
	"term" text NOT NULL,
	"df" integer NOT NULL,
	CONSTRAINT "ticket_term_stats_pkey" PRIMARY KEY("tenant_id","term")
);
--> statement-breakpoint
CREATE TABLE "ticket_terms" (
	"tenant_id" uuid NOT NULL,
	"term" text NOT NULL,
	"history_id" uuid NOT NULL,
	"tf" integer NOT NULL,
	"doc_length" integer NOT NULL,
	CONSTRAINT "ticket_terms_pkey" PRIMARY KEY("tenant_id","term","history_id")
);
--> statement-breakpoint
ALTER TABLE "history_import_cursors" ADD CONSTRAINT "history_import_cursors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "system_inventory" ADD CONSTRAINT "system_inventory_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_history_stats" ADD CONSTRAINT "ticket_history_stats_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_term_stats" ADD CONSTRAINT "ticket_term_stats_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_terms" ADD CONSTRAINT "ticket_terms_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "system_inventory_hostname_idx" ON "system_inventory" USING btree ("tenant_id","hostname");--> statement-breakpoint
CREATE INDEX "system_inventory_ip_idx" ON "system_inventory" USING btree ("tenant_id","ip_address");--> statement-breakpoint
CREATE INDEX "system_inventory_asset_tag_idx" ON "system_inventory" USING btree ("tenant_id",lower("asset_tag"));--> statement-breakpoint
CREATE INDEX "ticket_terms_history_idx" ON "ticket_terms" USING btree ("history_id");