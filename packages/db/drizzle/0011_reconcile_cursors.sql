CREATE TABLE "reconcile_cursors" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"swept_to" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reconcile_cursors" ADD CONSTRAINT "reconcile_cursors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Every tenant of the day starts its sweep now: the upgrade never investigates an installed tenant's
-- backlog (`tenant reconcile <slug> --since` does that on purpose). Written before row-level security
-- is forced, as the owner, who reads tenants through its lookup policy.
INSERT INTO reconcile_cursors (tenant_id, swept_to) SELECT id, now() FROM tenants;--> statement-breakpoint
ALTER TABLE reconcile_cursors ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE reconcile_cursors FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY reconcile_cursors_select ON reconcile_cursors FOR SELECT USING (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY reconcile_cursors_insert ON reconcile_cursors FOR INSERT WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY reconcile_cursors_update ON reconcile_cursors FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());--> statement-breakpoint
CREATE POLICY reconcile_cursors_delete ON reconcile_cursors FOR DELETE USING (tenant_id = current_tenant_id());
