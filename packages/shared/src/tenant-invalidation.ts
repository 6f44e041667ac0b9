/**
 * When an operator disables a tenant, retires or rotates its webhook secret or changes its settings,
 * every API replica must stop using what it cached at once, not TENANT_CACHE_TTL_MS later. The
 * operator CLI publishes the tenant's slug on this Redis channel; each API replica subscribes and
 * drops that slug from its cache. Redis pub/sub delivers to whoever is subscribed at that moment
 * only, so a replica that was disconnected clears its whole cache when it resubscribes, and the TTL
 * stays as the fallback. The message holds the slug, nothing secret.
 */
export function tenantChangesChannel(prefix: string): string {
  return `${prefix}:tenants:changed`;
}

/** The message for one slug; '*' means every tenant. */
export function tenantChangeMessage(slug: string): string {
  return JSON.stringify({ slug });
}

/** The slug a message names, '*' for all, or null for a message this version does not understand. */
export function parseTenantChange(message: string): string | null {
  try {
    const parsed = JSON.parse(message) as { slug?: unknown };
    return typeof parsed.slug === 'string' && parsed.slug.length <= 63 ? parsed.slug : null;
  } catch {
    return null;
  }
}
