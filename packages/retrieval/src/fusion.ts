import type { FoundBy } from '@ai-agents/db';

/*
 * Fusion of the two rankings of similar tickets: BM25 (shared words, in Postgres) and cosine over
 * embeddings (shared meaning). Weights are measured per embedder by `npm run eval:retrieval`
 * (docs/context.md); BM25 alone is what a caller uses when there is no embedding ranking.
 */

export type FusionMethod = 'weighted' | 'rrf' | 'none';

export interface Ranked {
  id: string;
  score: number;
}

export interface Fused {
  id: string;
  score: number;
  /** Not among BM25's first `limit`: shown because of its meaning, not its words (the note says so). */
  byMeaning: boolean;
  /** Among BM25's first `limit` (words), the cosine ranking's first `limit` (meaning), or both. */
  foundBy: FoundBy;
}

/** BM25's weight in the weighted fusion of LSA; cosine gets the rest. Chosen on dev (docs/context.md). */
export const LSA_BM25_WEIGHT = 0.1;
// Reciprocal rank fusion's constant, as in Cormack, Clarke & Büttcher (SIGIR 2009).
const RRF_K = 60;

export interface FusionOptions {
  method: FusionMethod;
  limit: number;
  /** Weighted fusion only: score = w · BM25/max(BM25) + (1 − w) · cosine. */
  bm25Weight?: number;
}

/** The `limit` best tickets of both rankings (each best first). 'none' keeps BM25's ranking. */
export function fuse(bm25: readonly Ranked[], cosine: readonly Ranked[], options: FusionOptions): Fused[] {
  const byWords = new Set(bm25.slice(0, options.limit).map((r) => r.id));
  // 'none' ranks by words alone: the cosine ranking played no part.
  const byCosine = new Set(options.method === 'none' ? [] : cosine.slice(0, options.limit).map((r) => r.id));
  const scores = options.method === 'none' ? bm25Scores(bm25) : fusedScores(bm25, cosine, options);
  return [...scores.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.limit)
    .map(([id, score]) => ({
      id,
      score,
      byMeaning: !byWords.has(id),
      foundBy: byWords.has(id) ? (byCosine.has(id) ? 'both' : 'words') : 'meaning',
    }));
}

function bm25Scores(bm25: readonly Ranked[]): Map<string, number> {
  return new Map(bm25.map((r) => [r.id, r.score]));
}

function fusedScores(
  bm25: readonly Ranked[],
  cosine: readonly Ranked[],
  options: FusionOptions,
): Map<string, number> {
  const scores = new Map<string, number>();
  const add = (id: string, value: number) => {
    scores.set(id, (scores.get(id) ?? 0) + value);
  };
  if (options.method === 'rrf') {
    for (const ranking of [bm25, cosine])
      for (const [rank, r] of ranking.entries()) add(r.id, 1 / (RRF_K + rank + 1));
    return scores;
  }
  const w = options.bm25Weight ?? LSA_BM25_WEIGHT;
  const max = Math.max(0, ...bm25.map((r) => r.score));
  for (const r of bm25) add(r.id, max > 0 ? (w * r.score) / max : 0);
  for (const r of cosine) add(r.id, (1 - w) * Math.max(0, r.score));
  return scores;
}
