/**
 * What turns texts into vectors for retrieval. The same shape as `Embedder` of
 * packages/retrieval/src/embedder.ts (issue 26, branch w-embed): when that package lands, this file
 * gives way to an import of it.
 */
export interface Embedder {
  /** Stored with each vector: vectors of different models are never compared. */
  modelId: string;
  dimensions: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
