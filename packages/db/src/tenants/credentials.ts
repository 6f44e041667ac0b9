import type { SecretBox } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import { type NewSdpCredentials, replaceIn } from '../connections/credentials.js';
import { eq } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope, withTenant } from '../with-tenant.js';

/**
 * Replaces the ServiceDesk Plus credentials (and auth mode) of a tenant's connection: on a connection
 * shared with other tenants, theirs too (`connection set-credentials` is the same, named by the
 * connection). The audit entry records the mode and whether they were checked, never a value. Null
 * when the tenant does not exist.
 */
export async function replaceSdpCredentials(
  scope: TenantScope,
  box: SecretBox,
  input: NewSdpCredentials,
  actor: string,
): Promise<{ previousAuthType: 'onprem' | 'cloud' } | null> {
  const { tenantId } = scope;
  const [tenant] = await inTenant(scope, 'statement', (tx) =>
    tx.select({ connectionId: tenants.connectionId }).from(tenants).where(eq(tenants.id, tenantId)),
  );
  if (!tenant) return null;
  const { connectionId } = tenant;
  return withTenant(
    scope.db,
    tenantId,
    async (tx) => {
      const replaced = await replaceIn(tx, connectionId, box, input);
      if (!replaced) return null;
      await recordAudit(
        { ...scope, tx },
        {
          actor,
          action: 'tenant.sdp_credentials_replaced',
          details: {
            sdpAuthType: input.authType,
            previousSdpAuthType: replaced.previousAuthType,
            checked: input.checked,
            connectionId,
          },
        },
      );
      return { previousAuthType: replaced.previousAuthType };
    },
    { connectionId },
  );
}
