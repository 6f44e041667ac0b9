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
  // Reused by every search (a scan is synchronous, so no two overlap): no 200 kB allocation a query.
  private scratch: Float32Array | undefined;

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
    return this.matrix.byteLength + this.ids.length * Float32Array.BYTES_PER_ELEMENT;
  }

  /** The `limit` nearest vectors by cosine, best first, skipping `excludeId`. */
  search(query: Float32Array, limit: number, excludeId?: string): Neighbour[] {
    const scores = this.scores(query);
    return topScores(scores, limit, (r) => this.ids[r] !== excludeId).map((r) => ({
      id: this.ids[r] as string,
      score: scores[r] as number,
    }));
  }

  /**
   * Every row's dot product with `query`: the one pass over the matrix (20 MB at 50,000 × 100).
   * Four partial sums per row: profiled at 50,000 tickets, a quarter less time than one running sum
   * (docs/performance.md). The result is this index's scratch buffer, valid until the next search.
   */
  private scores(query: Float32Array): Float32Array {
    const d = this.dimensions;
    const m = this.matrix;
    const whole = d - (d % 4);
    this.scratch ??= new Float32Array(this.ids.length);
    const scores = this.scratch;
    for (let r = 0, base = 0; r < scores.length; r++, base += d) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let c = 0;
      for (; c < whole; c += 4) {
        const b = base + c;
        s0 += (m[b] as number) * (query[c] as number);
        s1 += (m[b + 1] as number) * (query[c + 1] as number);
        s2 += (m[b + 2] as number) * (query[c + 2] as number);
        s3 += (m[b + 3] as number) * (query[c + 3] as number);
      }
      for (; c < d; c++) s0 += (m[base + c] as number) * (query[c] as number);
      scores[r] = s0 + s1 + s2 + s3;
    }
    return scores;
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
