import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../client.js';
import type { EnhancementStatus } from '../schema/enhancements.js';
import { type TenantRow, tenants } from '../schema/tenants.js';
import type { EnhancementClaim } from './track.js';

/**
 * The tenant of a job and the claim of its event (see beginEnhancement), in one round trip: the
 * claim is a subquery of the tenant's row, so it is made only when the tenant exists (and is
 * visible under row-level security). `{ tenant: null, claim: null }` when it does not.
 */
export async function loadTenantAndClaim(
  tx: Tx,
  input: { tenantId: string; eventId: string; event: string; requestId: string },
): Promise<{ tenant: TenantRow; claim: EnhancementClaim } | { tenant: null; claim: null }> {
  const [row] = await tx
    .select({
      tenant: tenants,
      claim: sql<{
        id: string;
        status: EnhancementStatus;
        attempts: number;
        note_id: string | null;
        duplicate_of: string | null;
      } | null>`(select to_json(c) from begin_enhancement(${input.tenantId}, ${input.eventId}, ${input.event}, ${input.requestId}) c)`,
    })
    .from(tenants)
    .where(eq(tenants.id, input.tenantId))
    .limit(1);
  if (!row) return { tenant: null, claim: null };
  const claim = row.claim;
  if (!claim) throw new Error('Enhancement claim returned no row');
  return {
    tenant: row.tenant,
    claim: {
      id: claim.id,
      status: claim.status,
      attempts: claim.attempts,
      noteId: claim.note_id,
      duplicateOf: claim.duplicate_of,
    },
  };
}
