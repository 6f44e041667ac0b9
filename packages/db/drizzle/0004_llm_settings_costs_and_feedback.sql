CREATE TABLE "feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"enhancement_id" uuid NOT NULL,
	"helpful" boolean NOT NULL,
	"comment" text,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "cost_usd" numeric(12, 6);--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "prompt_version" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "dropped_citations" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "language" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "budget_state" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "suggested_category" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "suggested_priority" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "confidence" real;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "suggestions_applied" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "pii_redaction" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "auto_apply_suggestions" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "auto_apply_min_confidence" real DEFAULT 0.8 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "monthly_token_budget" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_soft_limit_percent" integer DEFAULT 80 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_model" text;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_enhancement_id_enhancements_id_fk" FOREIGN KEY ("enhancement_id") REFERENCES "public"."enhancements"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "feedback_tenant_created_idx" ON "feedback" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "feedback_enhancement_idx" ON "feedback" USING btree ("enhancement_id");--> statement-breakpoint
CREATE INDEX "enhancements_tenant_created_idx" ON "enhancements" USING btree ("tenant_id","created_at");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_auto_apply_min_confidence_range" CHECK ("tenants"."auto_apply_min_confidence" >= 0 and "tenants"."auto_apply_min_confidence" <= 1);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_budget_soft_limit_percent_range" CHECK ("tenants"."budget_soft_limit_percent" between 1 and 100);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_monthly_token_budget_positive" CHECK ("tenants"."monthly_token_budget" > 0);