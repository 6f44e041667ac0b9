/**
 * An embedder turns ticket texts into vectors whose cosine similarity says "same problem, other words".
 * Two implementations plug in here: the per-tenant LSA model (no outside call; `lsa.ts`) and an
 * OpenAI-compatible `/v1/embeddings` client. The worker, the backfill and the eval call only this shape.
 */
export interface Embedder {
  /**
   * Names the vector space: vectors stored under one model id are comparable only with vectors of the
   * same id, so a change of model (or an LSA refit) is a new id and the history is re-embedded.
   */
  modelId: string;
  /** Length of every vector `embed` returns. */
  dimensions: number;
  /** One vector per text, in order. Rejects (never returns partial results) when it cannot embed. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
