import type { SecretBox, SecretPurpose } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import { eq } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface ReencryptResult {
  /** Values that were under an older key and are now under the current one. */
  reencrypted: number;
  /** Values already under the current key (left untouched, so a second run changes nothing). */
  current: number;
}

const PURPOSE = {
  sdpCredentialsEnc: 'sdp_credentials',
  webhookSecretEnc: 'webhook_secret',
  webhookSecretPreviousEnc: 'webhook_secret',
  llmApiKeyEnc: 'llm_api_key',
} as const satisfies Record<string, SecretPurpose>;

/**
 * Re-encrypts one tenant's stored secrets (ServiceDesk Plus credentials, webhook secrets, its own LLM endpoint's key) under the
 * box's current key, in the v2 form bound to the tenant and purpose. Values already so are not
 * rewritten: running it again is a no-op.
 */
export async function reencryptTenantSecrets(
  scope: TenantScope,
  box: SecretBox,
  actor: string,
): Promise<ReencryptResult | null> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const [row] = await tx
      .select({
        sdpCredentialsEnc: tenants.sdpCredentialsEnc,
        webhookSecretEnc: tenants.webhookSecretEnc,
        webhookSecretPreviousEnc: tenants.webhookSecretPreviousEnc,
        llmApiKeyEnc: tenants.llmApiKeyEnc,
      })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!row) return null;
    const result: ReencryptResult = { reencrypted: 0, current: 0 };
    const changes: Partial<typeof row> = {};
    for (const [column, stored] of Object.entries(row) as [keyof typeof row, string | null][]) {
      if (stored === null) continue;
      if (!box.needsReencryption(stored)) {
        result.current++;
        continue;
      }
      // Rewritten under the current key and bound to this tenant and purpose (v1 values were not).
      const context = { tenantId, purpose: PURPOSE[column] };
      changes[column] = box.encrypt(box.decrypt(stored, context), context);
      result.reencrypted++;
    }
    if (result.reencrypted > 0) {
      // updated_at is left alone: nothing an operator set changed, and the worker's per-tenant
      // client cache keys on it only to pick up new settings.
      await tx.update(tenants).set(changes).where(eq(tenants.id, tenantId));
      await recordAudit(
        { ...scope, tx },
        {
          actor,
          action: 'keys.reencrypted',
          details: { values: result.reencrypted, keyId: box.currentKeyId },
        },
      );
    }
    return result;
  });
}
