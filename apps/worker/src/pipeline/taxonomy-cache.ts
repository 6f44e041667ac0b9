import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import type { Taxonomy } from './build-prompt.js';

export interface TaxonomyResult {
  taxonomy: Taxonomy;
  /** False when ServiceDesk Plus could not be asked: no suggestion can be checked, so none is made. */
  available: boolean;
}

// A failed fetch is retried after a minute rather than on every ticket of a busy tenant.
const FAILURE_TTL_MS = 60_000;

/**
 * Each tenant's ServiceDesk Plus categories and priorities, fetched once per TTL and shared by the
 * jobs in flight (one fetch however many tickets arrive at once).
 */
export function createTaxonomyCache(options: { ttlMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { expires: number; value: Promise<TaxonomyResult> }>();

  async function load(sdp: ServiceDeskClient): Promise<TaxonomyResult> {
    try {
      const [categories, priorities] = await Promise.all([sdp.listCategories(), sdp.listPriorities()]);
      return {
        taxonomy: { categories: categories.map((c) => c.name), priorities: priorities.map((p) => p.name) },
        available: true,
      };
    } catch {
      return { taxonomy: { categories: [], priorities: [] }, available: false };
    }
  }

  return {
    get(tenantId: string, sdp: ServiceDeskClient): Promise<TaxonomyResult> {
      const cached = entries.get(tenantId);
      if (cached && cached.expires > now()) return cached.value;
      const value = load(sdp);
      const entry = { expires: now() + options.ttlMs, value };
      entries.set(tenantId, entry);
      void value.then((result) => {
        if (!result.available) entry.expires = Math.min(entry.expires, now() + FAILURE_TTL_MS);
      });
      return value;
    },
  };
}

export type TaxonomyCache = ReturnType<typeof createTaxonomyCache>;
