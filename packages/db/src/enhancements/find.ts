import { and, asc, eq, gt } from '../orm.js';
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

export interface FailedEnhancement {
  id: string;
  eventId: string;
  event: string;
  sdpRequestId: string;
  error: string | null;
}

/**
 * The tenant's failed enhancements, a page at a time in id order (`after`: the last id of the previous
 * page). What `jobs retry-all --tenant` re-queues: every failure stays here, whatever BullMQ's shared
 * failed set (capped) has evicted.
 */
export async function listFailedEnhancements(
  scope: TenantScope,
  page: { after?: string; limit: number },
): Promise<FailedEnhancement[]> {
  return inTenant(scope, 'statement', (tx) =>
    tx
      .select({
        id: enhancements.id,
        eventId: enhancements.eventId,
        event: enhancements.event,
        sdpRequestId: enhancements.sdpRequestId,
        error: enhancements.error,
      })
      .from(enhancements)
      .where(
        page.after
          ? and(eq(enhancements.status, 'failed'), gt(enhancements.id, page.after))
          : eq(enhancements.status, 'failed'),
      )
      .orderBy(asc(enhancements.id))
      .limit(page.limit),
  );
}
