import { eq } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { tenants } from '../schema/tenants.js';

/** The tenant's own webhook rate limit (per minute), or null for the installation default. */
export async function tenantWebhookLimit(tx: Tx, tenantId: string): Promise<number | null> {
  const [row] = await tx
    .select({ limit: tenants.webhookRateLimitPerMinute })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  return row?.limit ?? null;
}
