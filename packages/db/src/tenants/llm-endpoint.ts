import {
  type LlmEndpoint,
  llmEndpointColumns,
  llmEndpointLabel,
  llmEndpointOf,
  llmKeyMayFollow,
  type SecretBox,
} from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import { eq, sql } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export type LlmEndpointResult =
  | { status: 'changed'; from: string; to: string }
  | { status: 'unchanged'; endpoint: string }
  | { status: 'no_tenant' }
  /** A new endpoint without a key, where the stored key may not follow (another kind or origin). */
  | { status: 'key_required' }
  /** --rotate-key on a tenant that uses the installation's endpoint. */
  | { status: 'no_own_endpoint' };

const PURPOSE = 'llm_api_key' as const;

function sameEndpoint(a: LlmEndpoint | null, b: LlmEndpoint | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Points a tenant's LLM calls at its own endpoint (`endpoint`), or back at the installation's (null,
 * which drops the stored key). `apiKey` is stored encrypted; without one the stored key is kept only
 * when the endpoint stays of the same kind at the same origin, so a key is never sent to a server it
 * was not given for. `updated_at` moves, so every worker builds the tenant's client anew on its next
 * job. The audit entry names the endpoints (kind and host), never the key.
 */
export async function setTenantLlmEndpoint(
  scope: TenantScope,
  box: SecretBox,
  input: { endpoint: LlmEndpoint | null; apiKey?: string },
  actor: string,
): Promise<LlmEndpointResult> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!before) return { status: 'no_tenant' };
    const previous = llmEndpointOf(before);
    const { endpoint, apiKey } = input;
    if (endpoint !== null && apiKey === undefined) {
      const keyMayFollow = before.llmApiKeyEnc !== null && llmKeyMayFollow(previous, endpoint);
      if (!keyMayFollow) return { status: 'key_required' };
      if (sameEndpoint(previous, endpoint))
        return { status: 'unchanged', endpoint: llmEndpointLabel(endpoint) };
    }
    if (endpoint === null && previous === null) return { status: 'unchanged', endpoint: 'installation' };
    const key =
      endpoint === null
        ? null
        : apiKey === undefined
          ? before.llmApiKeyEnc
          : box.encrypt(apiKey, { tenantId, purpose: PURPOSE });
    await tx
      .update(tenants)
      .set({ ...llmEndpointColumns(endpoint), llmApiKeyEnc: key, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId));
    const from = llmEndpointLabel(previous);
    const to = llmEndpointLabel(endpoint);
    await recordAudit(
      { ...scope, tx },
      {
        actor,
        action: 'tenant.llm_endpoint_set',
        details: {
          from,
          to,
          ...(endpoint?.kind === 'azure' ? { deployment: endpoint.deployment } : {}),
          newKey: apiKey !== undefined,
        },
      },
    );
    return { status: 'changed', from, to };
  });
}

/** Replaces the key of the tenant's own endpoint (the endpoint stays). */
export async function rotateTenantLlmKey(
  scope: TenantScope,
  box: SecretBox,
  apiKey: string,
  actor: string,
): Promise<LlmEndpointResult> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!before) return { status: 'no_tenant' };
    const endpoint = llmEndpointOf(before);
    if (endpoint === null) return { status: 'no_own_endpoint' };
    await tx
      .update(tenants)
      .set({ llmApiKeyEnc: box.encrypt(apiKey, { tenantId, purpose: PURPOSE }), updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId));
    const label = llmEndpointLabel(endpoint);
    await recordAudit(
      { ...scope, tx },
      { actor, action: 'tenant.llm_key_rotated', details: { endpoint: label } },
    );
    return { status: 'changed', from: label, to: label };
  });
}

/** The key of the tenant's own endpoint, decrypted; null when it uses the installation's. */
export function tenantLlmApiKey(
  box: SecretBox,
  tenant: { id: string; llmApiKeyEnc: string | null },
): string | null {
  return tenant.llmApiKeyEnc === null
    ? null
    : box.decrypt(tenant.llmApiKeyEnc, { tenantId: tenant.id, purpose: PURPOSE });
}
