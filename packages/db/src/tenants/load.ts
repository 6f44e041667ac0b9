import { eq } from '../orm.js';
import { type TenantRow, tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The scope's tenant; null when it does not exist (or is not visible). */
export async function loadTenant(scope: TenantScope): Promise<TenantRow | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx.select().from(tenants).where(eq(tenants.id, scope.tenantId)).limit(1),
  );
  return row ?? null;
}
