import { eq } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { type TenantRow, tenants } from '../schema/tenants.js';

/** The tenant of the current withTenant() transaction; null when it does not exist (or is not visible). */
export async function loadTenant(tx: Tx, tenantId: string): Promise<TenantRow | null> {
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1);
  return row ?? null;
}
