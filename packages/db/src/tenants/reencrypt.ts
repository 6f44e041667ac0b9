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
  webhookSecretEnc: 'webhook_secret',
  webhookSecretPreviousEnc: 'webhook_secret',
  llmApiKeyEnc: 'llm_api_key',
} as const satisfies Record<string, SecretPurpose>;

/**
 * Re-encrypts one tenant's stored secrets (its webhook secrets, its own LLM endpoint's key; its
 * connection's credentials are reencryptConnectionSecrets') under the box's current key, in the v2
 * form bound to the tenant and purpose. Values already so are not rewritten: running it again is a no-op.
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
        webhookSecretEnc: tenants.webhookSecretEnc,
        webhookSecretPreviousEnc: tenants.webhookSecretPreviousEnc,
        llmApiKeyEnc: tenants.llmApiKeyEnc,
      })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!row) return null;
    const { result, changes } = reencryptValues(box, tenantId, row, PURPOSE);
    if (result.reencrypted > 0) {
      // updated_at is left alone: nothing an operator set changed.
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

/**
 * The values of one row that are not under the current key, rewritten under it and bound to the
 * row's id and each column's purpose (v1 values were not bound); null columns are skipped.
 */
export function reencryptValues<Column extends string>(
  box: SecretBox,
  id: string,
  row: Record<Column, string | null>,
  purposes: Record<Column, SecretPurpose>,
): { result: ReencryptResult; changes: Partial<Record<Column, string>> } {
  const result: ReencryptResult = { reencrypted: 0, current: 0 };
  const changes: Partial<Record<Column, string>> = {};
  for (const column of Object.keys(purposes) as Column[]) {
    const stored = row[column];
    if (stored === null) continue;
    if (!box.needsReencryption(stored)) {
      result.current++;
      continue;
    }
    const context = { tenantId: id, purpose: purposes[column] };
    changes[column] = box.encrypt(box.decrypt(stored, context), context);
    result.reencrypted++;
  }
  return { result, changes };
}
