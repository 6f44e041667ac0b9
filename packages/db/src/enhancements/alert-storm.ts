import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface StormLeader {
  id: string;
  requestId: string;
}

/**
 * Puts an enhancement into the alert storm of `stormKey` and returns the storm's leader, or null
 * when this enhancement leads (it gets the full investigation; followers get a short note linking to
 * the leader's ticket). The leader is the latest leader of the key created within the window that has
 * not failed. An advisory lock on the key serialises joins, so a burst of near-identical tickets
 * elects one leader, not one per concurrent job. Idempotent: a retried job gets the same answer.
 */
export async function joinAlertStorm(
  scope: TenantScope,
  input: { enhancementId: string; stormKey: string; windowSeconds: number },
): Promise<StormLeader | null> {
  // One statement: the SQL function join_alert_storm() (migration 0009), under row-level security.
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ id: string; request_id: string }>(
      sql`select * from join_alert_storm(${scope.tenantId}, ${input.enhancementId}, ${input.stormKey}, ${input.windowSeconds})`,
    ),
  );
  const leader = result.rows[0];
  return leader ? { id: leader.id, requestId: leader.request_id } : null;
}
