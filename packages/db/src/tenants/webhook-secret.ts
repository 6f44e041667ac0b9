import type { SecretBox } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import { eq, sql } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';
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
  scope: TenantScope,
  box: SecretBox,
  options: { actor: string; force?: boolean },
): Promise<RotateSecretResult> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
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
    await recordAudit(
      { ...scope, tx },
      {
        actor: options.actor,
        action: 'tenant.webhook_secret_rotated',
        details: { droppedUnretiredPrevious: Boolean(row.previous) },
      },
    );
    return { outcome: 'rotated', webhookSecret };
  });
}

export type RetireSecretResult =
  | { outcome: 'retired' }
  /** No rotation is in progress: there is no previous secret to retire. */
  | { outcome: 'nothing_to_retire' }
  | { outcome: 'not_found' };

/** Rotation, step 2: the previous secret stops being accepted. */
export async function retireWebhookSecret(scope: TenantScope, actor: string): Promise<RetireSecretResult> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const [row] = await tx
      .select({ previous: tenants.webhookSecretPreviousEnc })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!row) return { outcome: 'not_found' };
    if (!row.previous) return { outcome: 'nothing_to_retire' };
    await tx
      .update(tenants)
      .set({ webhookSecretPreviousEnc: null, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId));
    await recordAudit({ ...scope, tx }, { actor, action: 'tenant.webhook_secret_retired' });
    return { outcome: 'retired' };
  });
}
