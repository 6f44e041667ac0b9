import { type Db, findWebhookTenant, tenantWebhookLimit, withTenant } from '@ai-agents/db';
import type { SecretBox } from '@ai-agents/shared';

export interface WebhookCredentials {
  tenantId: string;
  active: boolean;
  /** Plain webhook secrets: the current one first, then the one being rotated out. */
  secrets: string[];
  /** The tenant accepts X-Webhook-Token deliveries (ServiceDesk Plus native webhooks). */
  tokenEnabled: boolean;
  /** The tenant's own webhook limit per minute; null: the installation default. */
  rateLimitPerMinute: number | null;
}

/**
 * Resolves a slug to its webhook credentials, caching both hits and misses for a short time: a
 * webhook flood (or a caller guessing slugs) then costs no database round trip per request, and a
 * rotated or disabled tenant takes effect within the TTL.
 */
export function createTenantAuth(deps: { db: Db; box: SecretBox; ttlMs: number; maxEntries?: number }) {
  const cache = new Map<string, { value: WebhookCredentials | null; expires: number }>();
  const maxEntries = deps.maxEntries ?? 10_000;

  async function load(slug: string): Promise<WebhookCredentials | null> {
    const tenant = await findWebhookTenant(deps.db, slug);
    if (!tenant) return null;
    // A value that does not decrypt for this tenant (copied from another tenant's row, altered, or
    // under a key no longer configured) is no secret of this tenant: deliveries get the usual 401.
    const secrets = [tenant.webhookSecretEnc, tenant.webhookSecretPreviousEnc].flatMap((v) => {
      if (!v) return [];
      try {
        return [deps.box.decrypt(v, { tenantId: tenant.id, purpose: 'webhook_secret' })];
      } catch {
        return [];
      }
    });
    const rateLimitPerMinute = await withTenant(deps.db, tenant.id, (tx) =>
      tenantWebhookLimit(tx, tenant.id),
    );
    return {
      tenantId: tenant.id,
      active: tenant.status === 'active',
      secrets,
      tokenEnabled: tenant.webhookTokenEnabled,
      rateLimitPerMinute,
    };
  }

  return {
    async lookup(slug: string): Promise<WebhookCredentials | null> {
      const now = Date.now();
      const cached = cache.get(slug);
      if (cached && cached.expires > now) return cached.value;
      const value = await load(slug);
      if (deps.ttlMs > 0) {
        if (cache.size >= maxEntries) cache.clear();
        cache.set(slug, { value, expires: now + deps.ttlMs });
      }
      return value;
    },
    clear: () => cache.clear(),
  };
}

export type TenantAuth = ReturnType<typeof createTenantAuth>;
