import { recordAudit } from '../audit/record.js';
import { eq, sql } from '../orm.js';
import { advanceReconcileCursor } from '../reconcile/cursor.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export type SetStatusResult = { outcome: 'updated' } | { outcome: 'not_found' };

/**
 * Enables or disables a tenant: a disabled tenant's webhooks are refused and its queued jobs fail.
 * Enabling moves its reconcile cursor to now, as adding it did: the tickets of the disabled time are
 * not investigated unasked (`tenant reconcile --since` does). A transaction: the audit entry (and the
 * cursor) are written only when the tenant's row was.
 */
export async function setTenantStatus(
  scope: TenantScope,
  status: 'active' | 'disabled',
  actor: string,
): Promise<SetStatusResult> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const updated = await tx
      .update(tenants)
      .set({ status, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId))
      .returning({ id: tenants.id });
    if (updated.length === 0) return { outcome: 'not_found' };
    if (status === 'active') await advanceReconcileCursor({ ...scope, tx }, new Date());
    await recordAudit(
      { ...scope, tx },
      { actor, action: status === 'active' ? 'tenant.enabled' : 'tenant.disabled' },
    );
    return { outcome: 'updated' };
  });
}
