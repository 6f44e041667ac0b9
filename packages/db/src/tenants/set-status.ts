import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../client.js';
import { tenants } from '../schema/tenants.js';
import { withTenant } from '../with-tenant.js';

/** Enables or disables a tenant: a disabled tenant's webhooks are refused and its queued jobs fail. */
export async function setTenantStatus(
  db: Db,
  tenantId: string,
  status: 'active' | 'disabled',
  actor: string,
): Promise<boolean> {
  return withTenant(db, tenantId, async (tx) => {
    const updated = await tx
      .update(tenants)
      .set({ status, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId))
      .returning({ id: tenants.id });
    if (updated.length === 0) return false;
    await recordAudit(tx, {
      tenantId,
      actor,
      action: status === 'active' ? 'tenant.enabled' : 'tenant.disabled',
    });
    return true;
  });
}
