import type { SecretBox, SecretPurpose } from '@ai-agents/shared';
import { eq } from '../orm.js';
import { connections } from '../schema/connections.js';
import { type ReencryptResult, reencryptValues } from '../tenants/reencrypt.js';
import { type ConnectionScope, inConnection } from '../with-tenant.js';

const PURPOSE = {
  sdpCredentialsEnc: 'sdp_credentials',
  webhookSecretEnc: 'connection_webhook_secret',
  webhookSecretPreviousEnc: 'connection_webhook_secret',
} as const satisfies Record<string, SecretPurpose>;

/**
 * Re-encrypts one connection's stored secrets (ServiceDesk Plus credentials, its webhook secrets)
 * under the box's current key, bound to the connection's id. Running it again is a no-op.
 * updated_at is left alone: the credentials are the same, so the workers' clients stay valid.
 */
export async function reencryptConnectionSecrets(
  scope: ConnectionScope,
  box: SecretBox,
): Promise<ReencryptResult | null> {
  const { connectionId } = scope;
  return inConnection(scope, 'transaction', async (tx) => {
    const [row] = await tx
      .select({
        sdpCredentialsEnc: connections.sdpCredentialsEnc,
        webhookSecretEnc: connections.webhookSecretEnc,
        webhookSecretPreviousEnc: connections.webhookSecretPreviousEnc,
      })
      .from(connections)
      .where(eq(connections.id, connectionId))
      .for('update');
    if (!row) return null;
    const { result, changes } = reencryptValues(box, connectionId, row, PURPOSE);
    if (result.reencrypted > 0)
      await tx.update(connections).set(changes).where(eq(connections.id, connectionId));
    return result;
  });
}
