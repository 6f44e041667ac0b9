/**
 * Where one tenant's data lives in Redis: the one list `tenant erase` deletes by, beside BullMQ's jobs
 * (found by their payload's tenantId, see tenant-redis-erase.ts). Each entry names the code that
 * builds the key; `tenant-redis-keys.test.ts` builds every one of those keys and checks a pattern
 * here matches it. A new key that names a tenant belongs here: the erasure's proof counts every key
 * under the prefix that contains the tenant's id, so a key missing from this list is reported as
 * left (and the erasure test fails) instead of silently kept.
 */
export interface TenantKeyScope {
  /** QUEUE_PREFIX (hash-tagged in cluster mode, as the code builds it). */
  prefix: string;
  /** The BullMQ queue (EVENTS_QUEUE). */
  queueName: string;
  tenantId: string;
  /**
   * The tenant's connection when the tenant is its only one: erasing the tenant deletes the
   * connection (it holds the credentials the tenant gave), so its keys go too. Left out for a
   * connection shared with other tenants, whose token, budget and note shape stay.
   */
  connectionId?: string;
}

/** Redis glob patterns (SCAN MATCH) of every key that belongs to the tenant (and its own connection). */
export function tenantKeyPatterns(scope: TenantKeyScope): string[] {
  const p = escapeGlob(scope.prefix);
  const q = escapeGlob(scope.queueName);
  const t = escapeGlob(scope.tenantId);
  return [
    // The tenant's backlog of unfinished job ids: tenantBacklogKey() (tenant-backlog.ts).
    `${p}:${q}:backlog:${t}`,
    // Fair share: slot and LLM leases (apps/worker/src/fair-share/slot-leases.ts, kinds slots|llm)
    // and the circuit breaker (tenant-breaker.ts, `fair:breaker:<tenant>`).
    `${p}:${q}:fair:*:${t}`,
    // The webhook limit (apps/api/src/webhook/accept-delivery.ts).
    `${p}:ratelimit:webhook:${t}`,
    // One bucket per feedback link: apps/api/src/feedback/feedback-rate-limit.ts.
    `${p}:ratelimit:feedback-link:${t}:*`,
    ...(scope.connectionId
      ? connectionKeyPatterns({ prefix: scope.prefix, connectionId: scope.connectionId })
      : []),
  ];
}

/**
 * Redis glob patterns of every key that belongs to a connection (one ServiceDesk Plus instance,
 * shared by its tenants; issue 25). A connection made by migration 0020 has its tenant's id.
 */
export function connectionKeyPatterns(scope: { prefix: string; connectionId: string }): string[] {
  const p = escapeGlob(scope.prefix);
  const c = escapeGlob(scope.connectionId);
  return [
    // Token buckets: the ServiceDesk Plus budget (apps/worker/src/pipeline/sdp-rate-limit.ts) and the
    // connection's webhook limit (apps/api/src/webhook/accept-connection-delivery.ts).
    `${p}:ratelimit:sdp:${c}`,
    `${p}:ratelimit:webhook-connection:${c}`,
    // The shared Cloud access token, its lock, mint count and hold (packages/servicedesk token-store.ts,
    // keyed in tenant-clients.ts) and the learned note shape (note-shape memory, tenant-clients.ts).
    `${p}:sdp-oauth:${c}:*`,
    `${p}:sdp-note-wrapper:${c}:*`,
  ];
}

/** Any key under the prefix that names the tenant: what the proof counts, whatever built it. */
export function tenantKeyCatchAll(scope: Pick<TenantKeyScope, 'prefix' | 'tenantId'>): string {
  return `${escapeGlob(scope.prefix)}:*${escapeGlob(scope.tenantId)}*`;
}

/** Redis' glob (stringmatchlen) treats * ? [ ] and \ as special; a prefix is matched literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
