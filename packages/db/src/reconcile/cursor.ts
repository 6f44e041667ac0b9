import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/**
 * How far back a sweep reads before its cursor. The cursor is the portal's own created_time of the
 * last request seen (or, before a first sweep, our clock when the tenant was added), and SDP stamps
 * created_time when it stores the request, which may be before its webhook or our list call sees it:
 * a request stored a moment before the cursor's request but committed after our list call, or a
 * portal clock a few minutes off ours at onboarding. Ten minutes covers NTP-less servers drifting
 * minutes and SDP's own transaction time, at the cost of re-reading the last ten minutes' requests
 * once per interval (one page unless a tenant creates more than 100 tickets in ten minutes; those
 * already investigated are only compared against the enhancements table, never queued again).
 */
export const RECONCILE_OVERLAP_MS = 10 * 60_000;

export interface ReconcileCursor {
  /** The created_time up to which the portal was swept (the tenant's creation before a first sweep). */
  sweptTo: Date;
  /**
   * When the tenant was added: no scheduled sweep reads before it, overlap or not, so adding a tenant
   * never investigates its backlog (`tenant reconcile --since` does, on purpose).
   */
  addedAt: Date;
}

/**
 * The tenant's sweep cursor, or null when the tenant does not exist. A tenant no sweep has run for
 * yet is swept from the moment it was added. One statement, under the tenant's row-level security.
 */
export async function loadReconcileCursor(scope: TenantScope): Promise<ReconcileCursor | null> {
  const rows = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ swept_to: string | Date; added_at: string | Date }>(sql`
      select coalesce(c.swept_to, t.created_at) as swept_to, t.created_at as added_at
        from tenants t left join reconcile_cursors c on c.tenant_id = t.id
       where t.id = ${scope.tenantId}`),
  );
  const row = rows.rows[0];
  return row ? { sweptTo: new Date(row.swept_to), addedAt: new Date(row.added_at) } : null;
}

/**
 * Moves the tenant's cursor to `to`, never backwards: a sweep that read an older range (a
 * `tenant reconcile --since`, or a late sweep racing a newer one) leaves a later cursor as it is.
 */
export async function advanceReconcileCursor(scope: TenantScope, to: Date): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`
      insert into reconcile_cursors (tenant_id, swept_to) values (${scope.tenantId}, ${to.toISOString()})
      on conflict (tenant_id) do update
        set swept_to = greatest(reconcile_cursors.swept_to, excluded.swept_to), updated_at = now()`),
  );
}
