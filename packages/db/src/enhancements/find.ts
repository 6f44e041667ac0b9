import { eq } from 'drizzle-orm';
import { type EnhancementRow, enhancements } from '../schema/enhancements.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The enhancement of one event of the tenant, or null. */
export async function findEnhancementByEvent(
  scope: TenantScope,
  eventId: string,
): Promise<EnhancementRow | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx.select().from(enhancements).where(eq(enhancements.eventId, eventId)).limit(1),
  );
  return row ?? null;
}

/** When an enhancement of the tenant was created (RLS hides other tenants'), or null. */
export async function enhancementCreatedAt(scope: TenantScope, enhancementId: string): Promise<Date | null> {
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx
      .select({ createdAt: enhancements.createdAt })
      .from(enhancements)
      .where(eq(enhancements.id, enhancementId))
      .limit(1),
  );
  return row?.createdAt ?? null;
}
