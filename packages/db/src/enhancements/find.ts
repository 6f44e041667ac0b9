import { eq } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { type EnhancementRow, enhancements } from '../schema/enhancements.js';

/** The enhancement of one event of the current tenant, or null. */
export async function findEnhancementByEvent(tx: Tx, eventId: string): Promise<EnhancementRow | null> {
  const [row] = await tx.select().from(enhancements).where(eq(enhancements.eventId, eventId)).limit(1);
  return row ?? null;
}

/** When an enhancement of the current tenant was created (RLS hides other tenants'), or null. */
export async function enhancementCreatedAt(tx: Tx, enhancementId: string): Promise<Date | null> {
  const [row] = await tx
    .select({ createdAt: enhancements.createdAt })
    .from(enhancements)
    .where(eq(enhancements.id, enhancementId))
    .limit(1);
  return row?.createdAt ?? null;
}
