export type { Embedder } from './embedder.js';
export { fitLsa, LSA_DIMENSIONS, type LsaModel, lsaEmbedder, lsaRefitDue } from './lsa.js';
export { type Neighbour, VectorIndex } from './vector-index.js';
