import { and, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { enhancements } from '../schema/enhancements.js';

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
  tx: Tx,
  input: { tenantId: string; enhancementId: string; stormKey: string; windowSeconds: number },
): Promise<StormLeader | null> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`storm\n${input.tenantId}\n${input.stormKey}`}, 0))`,
  );
  const [self] = await tx
    .select({ stormKey: enhancements.stormKey, stormLeaderId: enhancements.stormLeaderId })
    .from(enhancements)
    .where(eq(enhancements.id, input.enhancementId));
  if (self?.stormLeaderId) return leaderById(tx, self.stormLeaderId);
  if (self?.stormKey) return null;

  const [leader] = await tx
    .select({ id: enhancements.id, requestId: enhancements.sdpRequestId })
    .from(enhancements)
    .where(
      and(
        eq(enhancements.tenantId, input.tenantId),
        eq(enhancements.stormKey, input.stormKey),
        isNull(enhancements.stormLeaderId),
        ne(enhancements.id, input.enhancementId),
        inArray(enhancements.status, ['processing', 'posting', 'posted']),
        gt(enhancements.createdAt, sql`now() - make_interval(secs => ${input.windowSeconds})`),
      ),
    )
    .orderBy(desc(enhancements.createdAt))
    .limit(1);
  await tx
    .update(enhancements)
    .set({ stormKey: input.stormKey, stormLeaderId: leader?.id ?? null, updatedAt: sql`now()` })
    .where(eq(enhancements.id, input.enhancementId));
  return leader ?? null;
}

async function leaderById(tx: Tx, id: string): Promise<StormLeader | null> {
  const [leader] = await tx
    .select({ id: enhancements.id, requestId: enhancements.sdpRequestId })
    .from(enhancements)
    .where(eq(enhancements.id, id));
  return leader ?? null;
}
