import type { FoundBy, SimilarTicket, TenantScope } from '@ai-agents/db';
import {
  type Bm25OnlyReason,
  findSimilarFused,
  type SimilarByMeaning,
  type VectorSearchPath,
} from './similar-tickets.js';
import {
  createTenantEmbedders,
  type TenantEmbedders,
  type TenantEmbeddersOptions,
} from './tenant-embedders.js';
import { VectorCache } from './vector-cache.js';

/*
 * What the worker holds for similar-ticket retrieval: the tenants' current embedders and vector
 * indexes, cached and bounded, so a note costs one BM25 statement, one in-memory scan (and, with an
 * embeddings API, one call to embed the query) and, when fusion brings in a ticket BM25 did not
 * return, one lookup of its fields.
 */

// 256 MB holds the vectors of a dozen 50,000-ticket tenants (20 MB each at LSA's 100 dimensions;
// text-embedding-3-small's 1536 take 300 MB for one such tenant: shorten them with
// EMBEDDING_DIMENSIONS) beside the LSA fits; a smaller worker still works, it reloads more often.
const CACHE_BYTES = 256 * 1024 * 1024;
// Newly embedded tickets are picked up within a minute; a reload of 50,000 vectors is one statement.
const CACHE_AGE_MS = 60_000;

export interface Retrieval {
  findSimilar(
    scope: TenantScope,
    text: string,
    options: {
      limit: number;
      excludeExternalId?: string;
      timeoutMs: number;
      /** The tenant's own embeddings-API model (tenants.embedding_model); null: the installation's. */
      embeddingModel?: string | null;
    },
  ): Promise<(SimilarTicket & { byMeaning?: boolean; foundBy?: FoundBy })[]>;
  /** After a ticket joined the history (a background job): embed it, refit or re-embed when due. */
  refresh(scope: TenantScope, tenant: { embeddingModel: string | null }): Promise<string | null>;
  /** Resolves when the background embeds this process started have ended. */
  idle(): Promise<void>;
}

export interface RetrievalOptions extends Partial<TenantEmbeddersOptions> {
  onBm25Only?: (reason: Bm25OnlyReason) => void;
  /** The worker's start-up choice (default: the in-worker scan). */
  vectorSearch?: VectorSearchPath;
}

/** The worker's retrieval for the installation's EMBEDDER (default lsa). */
export function createRetrieval(options: RetrievalOptions = {}): Retrieval {
  const cache = new VectorCache({ maxBytes: CACHE_BYTES, maxAgeMs: CACHE_AGE_MS });
  const { onBm25Only, vectorSearch, ...choice } = options;
  const embedders: TenantEmbedders = createTenantEmbedders({ ...choice, kind: choice.kind ?? 'lsa' });
  return {
    async findSimilar(scope, text, { embeddingModel, ...search }): Promise<SimilarByMeaning[]> {
      return findSimilarFused(scope, text, {
        ...search,
        embedder: await embedders.forQuery(scope, embeddingModel ?? null),
        cache,
        ...(vectorSearch && { vectorSearch }),
        ...(onBm25Only && { onBm25Only }),
      });
    },
    refresh: (scope, tenant) => embedders.refresh(scope, tenant.embeddingModel),
    idle: () => embedders.idle(),
  };
}
