import { setImmediate } from 'node:timers/promises';
import {
  type FoundBy,
  findSimilarTickets,
  historySize,
  historyTicketsByExternalIds,
  type SimilarTicket,
  searchPgvector,
  type TenantScope,
} from '@ai-agents/db';
import type { Embedder } from './embedder.js';
import { type FusionMethod, fuse, LSA_BM25_WEIGHT } from './fusion.js';
import type { VectorCache } from './vector-cache.js';

/** How the tenant's vectors are searched: the in-worker scan (default) or pgvector's HNSW in Postgres. */
export type VectorSearchPath = 'scan' | 'pgvector';

/*
 * Similar resolved tickets by words and by meaning: BM25 (Postgres) and cosine over the tenant's
 * vectors (scanned in the worker's VectorCache, or searched by pgvector where the worker chose it), fused. BM25 alone, with the reason reported, when
 * the tenant has no model yet, its history is small, or the embedder fails or is too slow.
 */

// Below this many embedded tickets LSA has too little co-occurrence to learn from, and BM25 alone
// is as good (issue 26's reference measured LSA's gain on histories of thousands).
export const MIN_HISTORY_FOR_EMBEDDINGS = 200;
// Each ranking contributes its first 100 to the fusion (the reference measurement's setting).
const CANDIDATES = 100;

export type Bm25OnlyReason = 'no_model' | 'small_history' | 'embedder_failed' | 'embedder_timeout';

export interface SimilarByMeaning extends SimilarTicket {
  /** Shown because of its meaning: not among BM25's results (the note marks it). */
  byMeaning: boolean;
  /** Which ranking found it: `note show` says so (explanations/explanation.ts). */
  foundBy: FoundBy;
}

export interface FusedSearchOptions {
  limit: number;
  excludeExternalId?: string;
  embedder: Embedder | null;
  cache: VectorCache;
  /** `pgvector`: ask Postgres (HNSW) for the candidates instead of scanning the cache (the worker's start-up choice). */
  vectorSearch?: VectorSearchPath;
  fusion?: FusionMethod;
  bm25Weight?: number;
  /** For the query's embedding and, on a cold cache, the load of the tenant's vectors. */
  timeoutMs: number;
  /** Called once when the search fell back to BM25 alone: the caller counts it in a metric. */
  onBm25Only?: (reason: Bm25OnlyReason) => void;
}

export async function findSimilarFused(
  scope: TenantScope,
  text: string,
  options: FusedSearchOptions,
): Promise<SimilarByMeaning[]> {
  // Side by side: Postgres scores BM25 while this process embeds the query and scans the vectors
  // (profiled at 50,000 tickets, docs/performance.md: in turn, the scan's time added to BM25's).
  const [bm25, cosine] = await Promise.all([
    findSimilarTickets(scope, text, { limit: CANDIDATES, excludeExternalId: options.excludeExternalId }),
    rankByMeaning(scope, text, options),
  ]);
  const wordsOnly = () =>
    bm25.slice(0, options.limit).map((t) => ({ ...t, byMeaning: false, foundBy: 'words' as const }));
  if (typeof cosine === 'string') {
    options.onBm25Only?.(cosine);
    return wordsOnly();
  }
  const fused = fuse(
    bm25.map((t) => ({ id: t.externalId, score: t.score })),
    cosine,
    {
      method: options.fusion ?? 'weighted',
      limit: options.limit,
      bm25Weight: options.bm25Weight ?? LSA_BM25_WEIGHT,
    },
  );
  const known = new Map(bm25.map((t) => [t.externalId, t]));
  const fetched = await historyTicketsByExternalIds(
    scope,
    fused.filter((f) => !known.has(f.id)).map((f) => f.id),
  );
  for (const t of fetched) known.set(t.externalId, t);
  return fused.flatMap((f) => {
    const t = known.get(f.id);
    return t ? [{ ...t, score: f.score, byMeaning: f.byMeaning, foundBy: f.foundBy }] : [];
  });
}

/** The cosine ranking, or why there is none. */
async function rankByMeaning(
  scope: TenantScope,
  text: string,
  options: FusedSearchOptions,
): Promise<{ id: string; score: number }[] | Bm25OnlyReason> {
  const { embedder } = options;
  if (!embedder) return 'no_model';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'embedder_timeout'>((resolve) => {
    timer = setTimeout(() => resolve('embedder_timeout'), options.timeoutMs);
  });
  if (options.vectorSearch === 'pgvector') return searchInPostgres(scope, text, embedder, options);
  // The vectors' first load (20 MB at 50,000 tickets) counts against the same time: a note never
  // waits for it past the timeout, and the load goes on to fill the cache for the next note.
  const index = options.cache.index(scope, embedder.modelId, embedder.dimensions);
  const vector = embedder.embed([text]).then((v) => v[0]);
  // Observed below or not at all (after a timeout): never an unhandled rejection.
  index.catch(() => {});
  vector.catch(() => {});
  try {
    const ready = await Promise.race([Promise.all([index, vector]), timeout]);
    if (ready === 'embedder_timeout') return ready;
    const [loaded, query] = ready;
    if (loaded.size < MIN_HISTORY_FOR_EMBEDDINGS) return 'small_history';
    if (!query || query.length !== embedder.dimensions) return 'embedder_failed';
    // The scan holds the thread for milliseconds: let the BM25 statement reach Postgres first (a
    // pooled connection is handed over in a later tick), so the two run at the same time.
    await setImmediate();
    return loaded.search(query, CANDIDATES, options.excludeExternalId);
  } catch {
    return 'embedder_failed';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The pgvector path (packages/db/src/embeddings/pgvector.ts): the query's embedding and Postgres's
 * HNSW search within the same time. The minimum history is checked on the history's size (one row,
 * kept by triggers) rather than a count of the tenant's vectors, which Postgres would have to scan.
 */
async function searchInPostgres(
  scope: TenantScope,
  text: string,
  embedder: Embedder,
  options: FusedSearchOptions,
): Promise<{ id: string; score: number }[] | Bm25OnlyReason> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'embedder_timeout'>((resolve) => {
    timer = setTimeout(() => resolve('embedder_timeout'), options.timeoutMs);
  });
  const search = (async () => {
    const [query] = await embedder.embed([text]);
    if (!query || query.length !== embedder.dimensions) return 'embedder_failed' as const;
    if ((await historySize(scope)) < MIN_HISTORY_FOR_EMBEDDINGS) return 'small_history' as const;
    return searchPgvector(scope, embedder.modelId, query, CANDIDATES, options.excludeExternalId);
  })();
  search.catch(() => {});
  try {
    return await Promise.race([search, timeout]);
  } catch {
    return 'embedder_failed';
  } finally {
    clearTimeout(timer);
  }
}
