ALTER TABLE "enhancements" DROP CONSTRAINT "enhancements_status_valid";--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "fallback_reason" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "duplicate_of" uuid;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "storm_key" text;--> statement-breakpoint
ALTER TABLE "enhancements" ADD COLUMN "storm_leader_id" uuid;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "webhook_rate_limit_per_minute" integer;--> statement-breakpoint
CREATE INDEX "enhancements_tenant_storm_idx" ON "enhancements" USING btree ("tenant_id","storm_key","created_at");--> statement-breakpoint
ALTER TABLE "enhancements" ADD CONSTRAINT "enhancements_status_valid" CHECK ("enhancements"."status" in ('processing', 'posting', 'posted', 'failed', 'skipped'));--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_webhook_rate_limit_positive" CHECK ("tenants"."webhook_rate_limit_per_minute" is null or "tenants"."webhook_rate_limit_per_minute" > 0);