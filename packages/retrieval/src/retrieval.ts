import type { FoundBy, SimilarTicket, TenantScope } from '@ai-agents/db';
import type { Embedder } from './embedder.js';
import { type Bm25OnlyReason, findSimilarFused, type SimilarByMeaning } from './similar-tickets.js';
import { currentLsaEmbedder } from './tenant-embeddings.js';
import { VectorCache } from './vector-cache.js';

/*
 * What the worker holds for similar-ticket retrieval: the tenants' current embedders and vector
 * indexes, cached and bounded, so a note costs one BM25 statement, one in-memory scan and, when
 * fusion brings in a ticket BM25 did not return, one lookup of its fields.
 */

// 256 MB holds the vectors of a dozen 50,000-ticket tenants (20 MB each) beside the LSA fits; a
// smaller worker still works, it reloads more often.
const CACHE_BYTES = 256 * 1024 * 1024;
// A refit or newly embedded tickets are picked up within a minute; a reload of 50,000 vectors is
// one statement of 20 MB.
const CACHE_AGE_MS = 60_000;
// LSA fits kept at once: 100 dimensions × up to 30,000 terms is at most 12 MB each.
const MAX_TENANT_MODELS = 16;

export interface Retrieval {
  findSimilar(
    scope: TenantScope,
    text: string,
    options: { limit: number; excludeExternalId?: string; timeoutMs: number },
  ): Promise<(SimilarTicket & { byMeaning?: boolean; foundBy?: FoundBy })[]>;
}

export function createRetrieval(options: { onBm25Only?: (reason: Bm25OnlyReason) => void } = {}): Retrieval {
  const cache = new VectorCache({ maxBytes: CACHE_BYTES, maxAgeMs: CACHE_AGE_MS });
  const embedders = new Map<string, { embedder: Embedder | null; loadedAt: number }>();
  const embedderFor = async (scope: TenantScope) => {
    const hit = embedders.get(scope.tenantId);
    if (hit && Date.now() - hit.loadedAt < CACHE_AGE_MS) return hit.embedder;
    const embedder = await currentLsaEmbedder(scope);
    embedders.delete(scope.tenantId);
    embedders.set(scope.tenantId, { embedder, loadedAt: Date.now() });
    // Bounded like the vectors: the fits of the tenants used longest ago go first.
    for (const oldest of embedders.keys()) {
      if (embedders.size <= MAX_TENANT_MODELS) break;
      embedders.delete(oldest);
    }
    return embedder;
  };
  return {
    async findSimilar(scope, text, search): Promise<SimilarByMeaning[]> {
      return findSimilarFused(scope, text, {
        ...search,
        embedder: await embedderFor(scope),
        cache,
        ...(options.onBm25Only && { onBm25Only: options.onBm25Only }),
      });
    },
  };
}
