import { randomBytes, randomUUID } from 'node:crypto';
import type { SecretBox } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../client.js';
import { type TenantRow, tenants } from '../schema/tenants.js';
import { withTenant } from '../with-tenant.js';

export interface NewTenant {
  slug: string;
  name: string;
  sdpBaseUrl: string;
  sdpAuthType: 'onprem' | 'cloud';
  /** The ServiceDesk Plus credentials as the worker's client takes them; stored encrypted. */
  sdpCredentials: Record<string, unknown>;
  llmModel?: string | null;
  actor: string;
}

export function generateWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Creates a tenant with a fresh webhook secret; the secret is returned once and stored encrypted. */
export async function createTenant(
  db: Db,
  box: SecretBox,
  input: NewTenant,
): Promise<{ tenant: TenantRow; webhookSecret: string }> {
  const id = randomUUID();
  const webhookSecret = generateWebhookSecret();
  const tenant = await withTenant(db, id, async (tx) => {
    const [row] = await tx
      .insert(tenants)
      .values({
        id,
        slug: input.slug,
        name: input.name,
        sdpBaseUrl: input.sdpBaseUrl,
        sdpAuthType: input.sdpAuthType,
        sdpCredentialsEnc: box.encrypt(JSON.stringify(input.sdpCredentials), {
          tenantId: id,
          purpose: 'sdp_credentials',
        }),
        webhookSecretEnc: box.encrypt(webhookSecret, { tenantId: id, purpose: 'webhook_secret' }),
        llmModel: input.llmModel ?? null,
      })
      .returning();
    if (!row) throw new Error('Tenant insert returned no row');
    await recordAudit(tx, {
      tenantId: id,
      actor: input.actor,
      action: 'tenant.created',
      details: { slug: input.slug, sdpBaseUrl: input.sdpBaseUrl, sdpAuthType: input.sdpAuthType },
    });
    return row;
  });
  return { tenant, webhookSecret };
}
