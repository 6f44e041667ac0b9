export type { Embedder } from './embedder.js';
export {
  type Fused,
  type FusionMethod,
  type FusionOptions,
  fuse,
  LSA_BM25_WEIGHT,
  type Ranked,
} from './fusion.js';
export { fitLsa, LSA_DIMENSIONS, type LsaModel, lsaEmbedder, lsaRefitDue } from './lsa.js';
export { type Neighbour, VectorIndex } from './vector-index.js';
