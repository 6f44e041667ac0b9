import { eq } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/**
 * How long a tenant's data is kept. Each value is a count (months or days); 0 keeps for ever, which
 * is every installation default until an operator sets one (docs/data-lifecycle.md recommends values).
 */
export interface RetentionPolicy {
  /** Resolved-ticket history (and its search index), by resolution time. */
  historyMonths: number;
  /** Final enhancements (and the feedback votes on them), by creation time; 0 or at least MIN_ENHANCEMENT_DAYS (@ai-agents/shared). */
  enhancementDays: number;
  auditDays: number;
  /** Feedback comments are cleared; the vote stays. */
  feedbackCommentDays: number;
}

/** A tenant's own settings (`tenant retention`): null follows the installation's default. */
export type RetentionOverrides = { [K in keyof RetentionPolicy]: number | null };

/** The policy in force for one tenant: its own value where it set one, the installation's otherwise. */
export function effectiveRetention(
  defaults: RetentionPolicy,
  overrides: RetentionOverrides,
): RetentionPolicy {
  return {
    historyMonths: overrides.historyMonths ?? defaults.historyMonths,
    enhancementDays: overrides.enhancementDays ?? defaults.enhancementDays,
    auditDays: overrides.auditDays ?? defaults.auditDays,
    feedbackCommentDays: overrides.feedbackCommentDays ?? defaults.feedbackCommentDays,
  };
}

/** The tenant's overrides, or null when the tenant does not exist. One statement, under its RLS. */
export async function loadRetentionOverrides(scope: TenantScope): Promise<RetentionOverrides | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx
      .select({
        historyMonths: tenants.retentionHistoryMonths,
        enhancementDays: tenants.retentionEnhancementDays,
        auditDays: tenants.retentionAuditDays,
        feedbackCommentDays: tenants.retentionFeedbackCommentDays,
      })
      .from(tenants)
      .where(eq(tenants.id, scope.tenantId)),
  );
  return row ?? null;
}

/** `now` minus whole days. */
export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

/**
 * `now` minus whole calendar months (UTC), the day clamped to the target month's last day, as
 * Postgres' `now() - interval 'N months'` does: 31 March minus one month is 28 (or 29) February.
 */
export function monthsBefore(now: Date, months: number): Date {
  const day = now.getUTCDate();
  const d = new Date(now);
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - months);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return d;
}
