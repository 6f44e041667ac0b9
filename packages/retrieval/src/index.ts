export {
  type ApiEmbedderOptions,
  apiEmbedderAt,
  batchesOf,
  createApiEmbedder,
  MAX_BATCH_CHARS,
  MAX_INPUT_CHARS,
} from './api-embedder.js';
export type { Embedder } from './embedder.js';
export {
  type Fused,
  type FusionMethod,
  type FusionOptions,
  fuse,
  LSA_BM25_WEIGHT,
  type Ranked,
} from './fusion.js';
export { createLlmClient, type LlmClientOptions, type LlmProbeResult, probeLlm } from './llm-client.js';
export { fitLsa, LSA_DIMENSIONS, type LsaModel, lsaEmbedder, lsaRefitDue } from './lsa.js';
export { decodeLsaFit, encodeLsaFit } from './lsa-fit-blob.js';
export { createRetrieval, type Retrieval, type RetrievalOptions } from './retrieval.js';
export {
  type Bm25OnlyReason,
  type FusedSearchOptions,
  findSimilarFused,
  MIN_HISTORY_FOR_EMBEDDINGS,
  type SimilarByMeaning,
  type VectorSearchPath,
} from './similar-tickets.js';
export { type ApiEmbedderDeps, apiEmbedderDeps, tenantApiEmbedder } from './tenant-api-embedder.js';
export { createTenantEmbedders, type EmbedderKind, type TenantEmbedders } from './tenant-embedders.js';
export {
  currentLsaEmbedder,
  embedMissing,
  refreshTenantApiEmbeddings,
  refreshTenantLsa,
} from './tenant-embeddings.js';
export { VectorCache, type VectorCacheOptions } from './vector-cache.js';
export { type Neighbour, VectorIndex } from './vector-index.js';
