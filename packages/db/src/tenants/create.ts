import { randomBytes, randomUUID } from 'node:crypto';
import type { SecretBox } from '@ai-agents/shared';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../client.js';
import { type TenantRow, tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

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

export type CreateTenantResult =
  | { outcome: 'created'; tenant: TenantRow; webhookSecret: string }
  /** Another tenant has this slug. */
  | { outcome: 'slug_taken' };

/**
 * Creates a tenant with a fresh webhook secret; the secret is returned once and stored encrypted.
 * Not tenant-scoped: the tenant does not exist yet, so it takes the installation's `db` and scopes
 * its own transaction (the row and its audit entry) to the new id.
 */
export async function createTenant(db: Db, box: SecretBox, input: NewTenant): Promise<CreateTenantResult> {
  const id = randomUUID();
  const webhookSecret = generateWebhookSecret();
  const scope: TenantScope = { db, tenantId: id };
  const tenant = await inTenant(scope, 'transaction', async (tx) => {
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
    await recordAudit(
      { ...scope, tx },
      {
        actor: input.actor,
        action: 'tenant.created',
        details: { slug: input.slug, sdpBaseUrl: input.sdpBaseUrl, sdpAuthType: input.sdpAuthType },
      },
    );
    return row;
  }).catch((error: unknown) => {
    if (isSlugTaken(error)) return null;
    throw error;
  });
  return tenant ? { outcome: 'created', tenant, webhookSecret } : { outcome: 'slug_taken' };
}

/** Postgres' unique violation (23505) of the slug's constraint, as drizzle wraps it. */
function isSlugTaken(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; constraint?: string } }).cause;
  return cause?.code === '23505' && cause.constraint === 'tenants_slug_unique';
}
