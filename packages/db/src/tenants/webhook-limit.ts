import { eq } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The tenant's own webhook rate limit (per minute), or null for the installation default. */
export async function tenantWebhookLimit(scope: TenantScope): Promise<number | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx
      .select({ limit: tenants.webhookRateLimitPerMinute })
      .from(tenants)
      .where(eq(tenants.id, scope.tenantId)),
  );
  return row?.limit ?? null;
}
