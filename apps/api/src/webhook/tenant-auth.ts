import { randomBytes, randomUUID } from 'node:crypto';
import { type Db, findWebhookTenant, tenantWebhookLimit } from '@ai-agents/db';
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
 * rotated or disabled tenant takes effect within the TTL (or at once, see tenant-invalidation.ts).
 *
 * An unknown slug costs what a known one costs, so response times do not tell which slugs exist:
 * its cache fill runs the same two queries and one decryption (of a decoy value under a random
 * tenant id that matches no row), and `decoy` gives the caller a credential with one random secret
 * to verify the delivery against, so the HMAC over the body is computed either way. The cache is a
 * bounded LRU: a burst of random slugs pushes out the least recently used entries one by one instead
 * of emptying the cache (which made the next lookup of every real tenant cold).
 */
export function createTenantAuth(deps: { db: Db; box: SecretBox; ttlMs: number; maxEntries?: number }) {
  const cache = new Map<string, { value: WebhookCredentials | null; expires: number }>();
  const maxEntries = deps.maxEntries ?? 10_000;
  const decoyId = randomUUID();
  const decoySecret = randomBytes(32).toString('base64url');
  const decoyEnc = deps.box.encrypt(decoySecret, { tenantId: decoyId, purpose: 'webhook_secret' });
  const decoy: WebhookCredentials = Object.freeze({
    tenantId: decoyId,
    active: false,
    secrets: [decoySecret],
    tokenEnabled: false,
    rateLimitPerMinute: null,
  });

  async function load(slug: string): Promise<WebhookCredentials | null> {
    const found = await findWebhookTenant(deps.db, slug);
    const tenant = found ?? {
      id: decoyId,
      status: 'disabled' as const,
      webhookSecretEnc: decoyEnc,
      webhookSecretPreviousEnc: null,
      webhookTokenEnabled: false,
    };
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
    const rateLimitPerMinute = await tenantWebhookLimit({ db: deps.db, tenantId: tenant.id });
    if (!found) return null;
    return {
      tenantId: tenant.id,
      active: tenant.status === 'active',
      secrets,
      tokenEnabled: tenant.webhookTokenEnabled,
      rateLimitPerMinute,
    };
  }

  const inFlight = lookupsInFlight();

  /** Forgets one slug (or all), and keeps lookups already reading it from caching what they read. */
  function invalidate(slug?: string) {
    inFlight.markStale(slug);
    if (slug === undefined) cache.clear();
    else cache.delete(slug);
  }

  return {
    async lookup(slug: string): Promise<WebhookCredentials | null> {
      const now = Date.now();
      const cached = cache.get(slug);
      if (cached && cached.expires > now) {
        // Most recently used goes last: Map iterates in insertion order.
        cache.delete(slug);
        cache.set(slug, cached);
        return cached.value;
      }
      const { value, stale } = await inFlight.track(slug, () => load(slug));
      if (deps.ttlMs > 0 && !stale) {
        cache.delete(slug);
        cache.set(slug, { value, expires: now + deps.ttlMs });
        while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return value;
    },
    /** Credentials no delivery can match, for verifying a delivery to an unknown slug all the same. */
    decoy,
    invalidate,
    clear: () => invalidate(),
  };
}

export type TenantAuth = ReturnType<typeof createTenantAuth>;

/**
 * The lookups now reading the database, by slug. An invalidation marks those of its slug (all, for
 * every slug) stale: each read its row before the change may have committed, so its answer serves
 * the request that asked but is not cached; otherwise a lookup that started before `tenant
 * retire-secret` and finished after its notice would cache the retired secret for the whole TTL.
 * Holds one entry per lookup in flight, so it stays as small as the number of concurrent requests.
 */
function lookupsInFlight() {
  const bySlug = new Map<string, Set<{ stale: boolean }>>();
  return {
    async track<T>(slug: string, read: () => Promise<T>): Promise<{ value: T; stale: boolean }> {
      const lookup = { stale: false };
      const lookups = bySlug.get(slug) ?? new Set();
      bySlug.set(slug, lookups.add(lookup));
      try {
        return { value: await read(), stale: lookup.stale };
      } finally {
        lookups.delete(lookup);
        if (lookups.size === 0) bySlug.delete(slug);
      }
    },
    markStale(slug?: string) {
      const marked = slug === undefined ? bySlug.values() : [bySlug.get(slug) ?? new Set()];
      for (const lookups of marked) for (const lookup of lookups) lookup.stale = true;
    },
  };
}
