import type { SecretBox } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import { eq, sql } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface NewSdpCredentials {
  authType: 'onprem' | 'cloud';
  /** The credentials JSON as `tenant add` stores it (see parseServiceDeskAuth). */
  credentials: Record<string, unknown>;
  /** Whether `tenant check` proved them before they were saved (recorded, not enforced here). */
  checked: boolean;
}

/**
 * Replaces a tenant's ServiceDesk Plus credentials (and auth mode). The audit entry records the
 * mode and whether they were checked, never a value. `updated_at` moves, so every worker builds a
 * new client with them on its next job. Null when the tenant does not exist.
 */
export async function replaceSdpCredentials(
  scope: TenantScope,
  box: SecretBox,
  input: NewSdpCredentials,
  actor: string,
): Promise<{ previousAuthType: 'onprem' | 'cloud' } | null> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const [before] = await tx
      .select({ authType: tenants.sdpAuthType })
      .from(tenants)
      .where(eq(tenants.id, tenantId))
      .for('update');
    if (!before) return null;
    await tx
      .update(tenants)
      .set({
        sdpAuthType: input.authType,
        sdpCredentialsEnc: box.encrypt(JSON.stringify(input.credentials), {
          tenantId,
          purpose: 'sdp_credentials',
        }),
        updatedAt: sql`now()`,
      })
      .where(eq(tenants.id, tenantId));
    await recordAudit(
      { ...scope, tx },
      {
        actor,
        action: 'tenant.sdp_credentials_replaced',
        details: {
          sdpAuthType: input.authType,
          previousSdpAuthType: before.authType,
          checked: input.checked,
        },
      },
    );
    return { previousAuthType: before.authType };
  });
}
