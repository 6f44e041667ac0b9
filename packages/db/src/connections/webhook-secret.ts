import type { SecretBox } from '@ai-agents/shared';
import { eq, sql } from '../orm.js';
import { connections } from '../schema/connections.js';
import type { RotateSecretResult } from '../tenants/webhook-secret.js';
import { type ConnectionScope, inConnection } from '../with-tenant.js';
import { generateConnectionWebhookSecret } from './create.js';

/**
 * A new webhook secret for the connection's own URL. The one before (if any) stays accepted as the
 * previous secret, as a tenant's rotation does; refused while an earlier rotation is unfinished
 * unless `force`. The first secret of a connection made without one (by migration 0020 or a plain
 * `tenant add`) gives it its URL.
 */
export async function rotateConnectionWebhookSecret(
  scope: ConnectionScope,
  box: SecretBox,
  options: { force?: boolean } = {},
): Promise<RotateSecretResult> {
  const { connectionId } = scope;
  return inConnection(scope, 'transaction', async (tx) => {
    const [row] = await tx
      .select({ current: connections.webhookSecretEnc, previous: connections.webhookSecretPreviousEnc })
      .from(connections)
      .where(eq(connections.id, connectionId))
      .for('update');
    if (!row) return { outcome: 'not_found' };
    if (row.previous && !options.force) return { outcome: 'rotation_in_progress' };
    const webhookSecret = generateConnectionWebhookSecret();
    await tx
      .update(connections)
      .set({
        webhookSecretEnc: box.encrypt(webhookSecret, {
          tenantId: connectionId,
          purpose: 'connection_webhook_secret',
        }),
        webhookSecretPreviousEnc: row.current,
        updatedAt: sql`now()`,
      })
      .where(eq(connections.id, connectionId));
    return { outcome: 'rotated', webhookSecret };
  });
}
