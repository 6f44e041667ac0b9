export type { Embedder } from './embedder.js';
