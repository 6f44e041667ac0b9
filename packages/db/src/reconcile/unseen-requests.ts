import { and, eq, inArray } from '../orm.js';
import { enhancements } from '../schema/enhancements.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** A sweep compares one list page at a time: SDP's pages hold at most 100 requests. */
const MAX_IDS = 100;

/**
 * Which of `requestIds` no request.created event of the tenant has an enhancement for yet (whatever
 * its status: a failed one is the operator's to retry, not the sweep's), in the order given. One
 * statement on the (tenant, request id) index, under the tenant's row-level security.
 */
export async function requestsWithoutEnhancement(
  scope: TenantScope,
  requestIds: string[],
): Promise<string[]> {
  if (requestIds.length === 0) return [];
  if (requestIds.length > MAX_IDS) throw new Error(`requestsWithoutEnhancement: at most ${MAX_IDS} ids`);
  const seen = await inTenant(scope, 'statement', (tx) =>
    tx
      .selectDistinct({ requestId: enhancements.sdpRequestId })
      .from(enhancements)
      .where(
        and(
          eq(enhancements.tenantId, scope.tenantId),
          eq(enhancements.event, 'request.created'),
          inArray(enhancements.sdpRequestId, requestIds),
        ),
      ),
  );
  const known = new Set(seen.map((r) => r.requestId));
  return requestIds.filter((id) => !known.has(id));
}
