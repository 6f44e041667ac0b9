/*
 * The tenant's history vectors in one contiguous Float32Array, searched by a linear scan: at 50,000
 * tickets × 100 dimensions a query is 5 M multiply-adds, a few milliseconds, with no extension in the
 * database. Vectors are L2-normalised, so the dot product is the cosine.
 */

export interface Neighbour {
  id: string;
  score: number;
}

export class VectorIndex {
  readonly ids: readonly string[];
  readonly dimensions: number;
  private readonly matrix: Float32Array;

  constructor(ids: readonly string[], vectors: readonly Float32Array[], dimensions: number) {
    this.ids = ids;
    this.dimensions = dimensions;
    this.matrix = new Float32Array(ids.length * dimensions);
    vectors.forEach((v, i) => {
      if (v.length !== dimensions)
        throw new Error(`vector ${i} has ${v.length} dimensions, not ${dimensions}`);
      this.matrix.set(v, i * dimensions);
    });
  }

  get size(): number {
    return this.ids.length;
  }

  /** Bytes the index holds: what a per-tenant cache counts against its bound. */
  get bytes(): number {
    return this.matrix.byteLength;
  }

  /** The `limit` nearest vectors by cosine, best first, skipping `excludeId`. */
  search(query: Float32Array, limit: number, excludeId?: string): Neighbour[] {
    const d = this.dimensions;
    const m = this.matrix;
    const scores = new Float32Array(this.ids.length);
    for (let r = 0, base = 0; r < scores.length; r++, base += d) {
      let s = 0;
      for (let c = 0; c < d; c++) s += (m[base + c] as number) * (query[c] as number);
      scores[r] = s;
    }
    return topScores(scores, limit, (r) => this.ids[r] !== excludeId).map((r) => ({
      id: this.ids[r] as string,
      score: scores[r] as number,
    }));
  }
}

/** Indexes of the `limit` highest scores, best first (ties by index): a bounded insertion pass. */
function topScores(scores: Float32Array, limit: number, keep: (r: number) => boolean): number[] {
  const best: number[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < scores.length; r++) {
    const s = scores[r] as number;
    if ((best.length === limit && s <= floor) || !keep(r)) continue;
    let at = best.length;
    while (at > 0 && (scores[best[at - 1] as number] as number) < s) at--;
    best.splice(at, 0, r);
    if (best.length > limit) best.pop();
    floor = scores[best[best.length - 1] as number] as number;
  }
  return best;
}
