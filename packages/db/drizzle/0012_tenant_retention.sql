ALTER TABLE "tenants" ADD COLUMN "retention_history_months" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "retention_enhancement_days" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "retention_audit_days" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "retention_feedback_comment_days" integer;--> statement-breakpoint
CREATE INDEX "ticket_history_tenant_age_idx" ON "ticket_history" USING btree ("tenant_id",coalesce("resolved_at", "created_at"));--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_retention_history_months_range" CHECK ("tenants"."retention_history_months" between 0 and 1200);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_retention_enhancement_days_range" CHECK ("tenants"."retention_enhancement_days" = 0 or "tenants"."retention_enhancement_days" between 7 and 36500);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_retention_audit_days_range" CHECK ("tenants"."retention_audit_days" between 0 and 36500);--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_retention_feedback_comment_days_range" CHECK ("tenants"."retention_feedback_comment_days" between 0 and 36500);--> statement-breakpoint

-- Retention (hand-written: functions). The application role may add to audit_log and feedback but
-- never rewrite them, and may not delete an enhancement (TABLE_GRANTS in packages/db/src/migrate.ts);
-- these three functions are its only way to remove such rows, and only rows past an age, of the
-- tenant its transaction is scoped to (current_tenant_id(), as every policy), at most 10,000 per call.
-- Each holds its own floor, so a caller asking for less cannot go below it:
-- audit entries and feedback comments at least a day old; enhancements final (never 'processing' or
-- 'posting': a job still owns them), at least 7 days old, from before the current UTC month (the
-- monthly token budget sums this month's rows) and older than a day before the tenant's reconcile
-- cursor: the sweep re-reads requests created after its cursor minus a ten-minute overlap
-- (RECONCILE_OVERLAP_MS) and queues each that has no enhancement, so removing one it can still read
-- would post a second note on that ticket. A day covers the overlap and any clock drift between the
-- portal's created_time and ours; a cursor that stopped (sweep off, portal down) holds retention back.
CREATE FUNCTION retention_remove_audit(p_before timestamptz, p_limit integer) RETURNS integer
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
  WITH doomed AS (
    SELECT a.id FROM public.audit_log a
     WHERE a.tenant_id = public.current_tenant_id()
       AND a.created_at < least(p_before, now() - interval '1 day')
     ORDER BY a.created_at
     LIMIT least(greatest(p_limit, 0), 10000)
  ), gone AS (
    DELETE FROM public.audit_log a USING doomed d WHERE a.id = d.id RETURNING 1
  )
  SELECT count(*)::integer FROM gone
$$;--> statement-breakpoint

CREATE FUNCTION retention_clear_feedback_comments(p_before timestamptz, p_limit integer) RETURNS integer
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
  WITH doomed AS (
    SELECT f.id FROM public.feedback f
     WHERE f.tenant_id = public.current_tenant_id() AND f.comment IS NOT NULL
       AND f.created_at < least(p_before, now() - interval '1 day')
     ORDER BY f.created_at
     LIMIT least(greatest(p_limit, 0), 10000)
  ), cleared AS (
    UPDATE public.feedback f SET comment = NULL FROM doomed d WHERE f.id = d.id RETURNING 1
  )
  SELECT count(*)::integer FROM cleared
$$;--> statement-breakpoint

-- Returns the enhancements removed and the feedback rows that went with them (feedback references
-- its enhancement, ON DELETE CASCADE): both counted, for the metric of rows removed per table.
CREATE FUNCTION retention_remove_enhancements(p_before timestamptz, p_limit integer)
  RETURNS TABLE (enhancements integer, feedback integer)
  LANGUAGE sql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public
  AS $$
  WITH floor AS (
    SELECT least(
             p_before,
             now() - interval '7 days',
             date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
             coalesce(c.swept_to, t.created_at) - interval '1 day'
           ) AS before
      FROM public.tenants t LEFT JOIN public.reconcile_cursors c ON c.tenant_id = t.id
     WHERE t.id = public.current_tenant_id()
  ), doomed AS (
    SELECT e.id FROM public.enhancements e, floor
     WHERE e.tenant_id = public.current_tenant_id()
       AND e.status IN ('posted', 'failed', 'skipped')
       AND e.created_at < floor.before
     ORDER BY e.created_at
     LIMIT least(greatest(p_limit, 0), 10000)
  ), votes AS (
    DELETE FROM public.feedback f USING doomed d WHERE f.enhancement_id = d.id RETURNING 1
  ), gone AS (
    DELETE FROM public.enhancements e USING doomed d WHERE e.id = d.id RETURNING 1
  )
  SELECT (SELECT count(*)::integer FROM gone), (SELECT count(*)::integer FROM votes)
$$;--> statement-breakpoint

REVOKE ALL ON FUNCTION retention_remove_audit(timestamptz, integer) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION retention_clear_feedback_comments(timestamptz, integer) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION retention_remove_enhancements(timestamptz, integer) FROM PUBLIC;
