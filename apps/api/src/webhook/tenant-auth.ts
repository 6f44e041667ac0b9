import { randomBytes, randomUUID } from 'node:crypto';
import {
  type ConnectionEdition,
  type Db,
  findAccountTenant,
  findWebhookConnection,
  findWebhookTenant,
  recordUnmappedAccount,
  tenantWebhookLimit,
} from '@ai-agents/db';
import type { SecretBox, SecretPurpose } from '@ai-agents/shared';

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
  const openSecrets = secretOpener(deps.box);
  const connectionDecoy = {
    id: decoyId,
    enc: deps.box.encrypt(decoySecret, { tenantId: decoyId, purpose: 'connection_webhook_secret' }),
  };

  async function load(slug: string): Promise<WebhookCredentials | null> {
    const found = await findWebhookTenant(deps.db, slug);
    const tenant = found ?? {
      id: decoyId,
      status: 'disabled' as const,
      webhookSecretEnc: decoyEnc,
      webhookSecretPreviousEnc: null,
      webhookTokenEnabled: false,
    };
    const secrets = openSecrets(tenant.id, 'webhook_secret', [
      tenant.webhookSecretEnc,
      tenant.webhookSecretPreviousEnc,
    ]);
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

  const tenants = cachedLookup(load, deps.ttlMs, deps.maxEntries ?? 10_000);
  const connections = cachedLookup(
    (slug) => loadConnectionCredentials(deps.db, openSecrets, connectionDecoy, slug),
    deps.ttlMs,
    deps.maxEntries ?? 10_000,
  );
  /** Forgets one slug (or all) in both caches: a tenant and its own connection share their slug. */
  function invalidate(slug?: string) {
    tenants.invalidate(slug);
    connections.invalidate(slug);
  }
  return {
    lookup: tenants.lookup,
    /** The credentials of a connection's own webhook URL (POST /v1/webhooks/servicedesk/connections/:slug). */
    lookupConnection: connections.lookup,
    /** The tenant mapped to (connection, account) — account null: a single portal's — or null. */
    accountTenant: (connectionId: string, sdpAccountId: string | null) =>
      findAccountTenant(deps.db, connectionId, sdpAccountId),
    /** Remembers an unmapped account for `connection accounts` (bounded per connection). */
    rememberAccount: (connectionId: string, account: { id: string; name: string | null }) =>
      recordUnmappedAccount(deps.db, connectionId, account.id, account.name),
    /** Credentials no delivery can match, for verifying a delivery to an unknown slug all the same. */
    decoy,
    invalidate,
    clear: () => invalidate(),
  };
}

type OpenSecrets = (id: string, purpose: SecretPurpose, values: (string | null)[]) => string[];

/**
 * Decrypts stored webhook secrets for the row they belong to. A value that does not decrypt for it
 * (copied from another row, altered, or under a key no longer configured) is no secret of it:
 * deliveries get the usual 401.
 */
function secretOpener(box: SecretBox): OpenSecrets {
  return (id, purpose, values) =>
    values.flatMap((v) => {
      if (!v) return [];
      try {
        return [box.decrypt(v, { tenantId: id, purpose })];
      } catch {
        return [];
      }
    });
}

/**
 * As a tenant's load, for a connection's own URL: its secrets and what routing needs (edition,
 * tenant count). An unknown slug decrypts the decoy, so it costs what a known one costs.
 */
async function loadConnectionCredentials(
  db: Db,
  openSecrets: OpenSecrets,
  decoy: { id: string; enc: string },
  slug: string,
): Promise<ConnectionCredentials | null> {
  const found = await findWebhookConnection(db, slug);
  const secrets = openSecrets(found?.id ?? decoy.id, 'connection_webhook_secret', [
    found ? found.webhookSecretEnc : decoy.enc,
    found?.webhookSecretPreviousEnc ?? null,
  ]);
  if (!found) return null;
  return {
    tenantId: found.id,
    active: secrets.length > 0,
    secrets,
    tokenEnabled: found.webhookTokenEnabled,
    rateLimitPerMinute: null,
    connection: { id: found.id, slug, edition: found.edition, tenants: found.tenants },
  };
}

/** A connection's webhook credentials: `tenantId` is the connection's id (for authentication only). */
export interface ConnectionCredentials extends WebhookCredentials {
  connection: { id: string; slug: string; edition: ConnectionEdition; tenants: number };
}

/**
 * A bounded LRU of slug → value with a TTL, hits and misses alike, that never caches what a lookup
 * read while an invalidation of its slug happened (see lookupsInFlight).
 */
function cachedLookup<T>(load: (slug: string) => Promise<T | null>, ttlMs: number, maxEntries: number) {
  const cache = new Map<string, { value: T | null; expires: number }>();
  const inFlight = lookupsInFlight();
  return {
    async lookup(slug: string): Promise<T | null> {
      const now = Date.now();
      const cached = cache.get(slug);
      if (cached && cached.expires > now) {
        // Most recently used goes last: Map iterates in insertion order.
        cache.delete(slug);
        cache.set(slug, cached);
        return cached.value;
      }
      const { value, stale } = await inFlight.track(slug, () => load(slug));
      if (ttlMs > 0 && !stale) {
        cache.delete(slug);
        cache.set(slug, { value, expires: now + ttlMs });
        while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return value;
    },
    /** Forgets one slug (or all), and keeps lookups already reading it from caching what they read. */
    invalidate(slug?: string) {
      inFlight.markStale(slug);
      if (slug === undefined) cache.clear();
      else cache.delete(slug);
    },
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
