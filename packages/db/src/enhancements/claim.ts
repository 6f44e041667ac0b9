import { eq, sql } from '../orm.js';
import { connections } from '../schema/connections.js';
import type { EnhancementStatus } from '../schema/enhancements.js';
import { tenants } from '../schema/tenants.js';
import { TENANT_CONNECTION_COLUMNS, type TenantRow } from '../tenants/load.js';
import { inTenant, type TenantScope } from '../with-tenant.js';
import type { EnhancementClaim } from './track.js';

/**
 * The tenant of a job (with its connection) and the claim of its event, in one round trip: the claim is a subquery of the
 * tenant's row, so it is made only when the tenant exists (and is visible under row-level security).
 * `{ tenant: null, claim: null }` when it does not.
 *
 * The claim records that an attempt at an event has started and returns the durable state of the
 * event. A posted (or posting) event keeps its status, so a redelivered or retried job can see that a
 * note exists, or may exist, before it does anything.
 *
 * One note per ticket and event kind: a second event of the same kind for the same request (e.g.
 * ServiceDesk Plus firing request.created twice, with two event ids) is marked `skipped` while another
 * event of that request is processing, posting or posted. Claims of one request are serialised by a
 * transaction-scoped advisory lock, so two concurrent jobs cannot both become the owner. An owner that
 * failed for good does not block a later event: that one takes over. Lock, upsert, owner check and
 * skip are the SQL function begin_enhancement() (migration 0009), under row-level security.
 */
export async function loadTenantAndClaim(
  scope: TenantScope,
  input: { eventId: string; event: string; requestId: string },
): Promise<{ tenant: TenantRow; claim: EnhancementClaim } | { tenant: null; claim: null }> {
  const { tenantId } = scope;
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx
      .select({
        tenant: tenants,
        connection: TENANT_CONNECTION_COLUMNS,
        claim: sql<{
          id: string;
          status: EnhancementStatus;
          attempts: number;
          note_id: string | null;
          duplicate_of: string | null;
        } | null>`(select to_json(c) from begin_enhancement(${tenantId}, ${input.eventId}, ${input.event}, ${input.requestId}) c)`,
      })
      .from(tenants)
      .innerJoin(connections, eq(connections.id, tenants.connectionId))
      .where(eq(tenants.id, tenantId))
      .limit(1),
  );
  if (!row) return { tenant: null, claim: null };
  const claim = row.claim;
  if (!claim) throw new Error('Enhancement claim returned no row');
  return {
    tenant: { ...row.tenant, connection: row.connection },
    claim: {
      id: claim.id,
      status: claim.status,
      attempts: claim.attempts,
      noteId: claim.note_id,
      duplicateOf: claim.duplicate_of,
    },
  };
}
