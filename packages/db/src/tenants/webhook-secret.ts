import type { SecretBox } from '@ai-agents/shared';
import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../client.js';
import { tenants } from '../schema/tenants.js';
import { withTenant } from '../with-tenant.js';
import { generateWebhookSecret } from './create.js';

export type RotateSecretResult =
  | { outcome: 'rotated'; webhookSecret: string }
  | { outcome: 'not_found' }
  /** A previous secret is still accepted; rotating again would silently drop it. */
  | { outcome: 'rotation_in_progress' };

/**
 * Zero-downtime rotation, step 1: a new secret becomes current and the old one stays accepted as
 * the previous secret until retired, so deliveries signed with either work while ServiceDesk Plus
 * is updated. Refuses while an earlier rotation is unfinished unless `force`, because the secret
 * it would drop may be the one ServiceDesk Plus still signs with.
 */
export async function rotateWebhookSecret(
  db: Db,
  box: SecretBox,
  tenantId: string,
  options: { actor: string; force?: boolean },
): Promise<RotateSecretResult> {
  return withTenant(db, tenantId, async (tx) => {
    const [row] = await tx
      .select({ current: tenants.webhookSecretEnc, previous: tenants.webhookSecretPreviousEnc })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!row) return { outcome: 'not_found' };
    if (row.previous && !options.force) return { outcome: 'rotation_in_progress' };
    const webhookSecret = generateWebhookSecret();
    await tx
      .update(tenants)
      .set({
        webhookSecretEnc: box.encrypt(webhookSecret, { tenantId, purpose: 'webhook_secret' }),
        webhookSecretPreviousEnc: row.current,
        updatedAt: sql`now()`,
      })
      .where(eq(tenants.id, tenantId));
    await recordAudit(tx, {
      tenantId,
      actor: options.actor,
      action: 'tenant.webhook_secret_rotated',
      details: { droppedUnretiredPrevious: Boolean(row.previous) },
    });
    return { outcome: 'rotated', webhookSecret };
  });
}

/** Rotation, step 2: the previous secret stops being accepted. Null when the tenant does not exist. */
export async function retireWebhookSecret(
  db: Db,
  tenantId: string,
  actor: string,
): Promise<{ retired: boolean } | null> {
  return withTenant(db, tenantId, async (tx) => {
    const [row] = await tx
      .select({ previous: tenants.webhookSecretPreviousEnc })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!row) return null;
    if (!row.previous) return { retired: false };
    await tx
      .update(tenants)
      .set({ webhookSecretPreviousEnc: null, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId));
    await recordAudit(tx, { tenantId, actor, action: 'tenant.webhook_secret_retired' });
    return { retired: true };
  });
}
