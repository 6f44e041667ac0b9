import { describe, expect, it } from 'vitest';
import { VectorIndex } from './vector-index.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

describe('the vector index', () => {
  const index = new VectorIndex(['A', 'B', 'C'], [unit(1, 0), unit(1, 1), unit(0, 1)], 2);

  it('returns the nearest by cosine, best first, without the excluded ticket', () => {
    expect(index.search(unit(1, 0.1), 2).map((n) => n.id)).toEqual(['A', 'B']);
    expect(index.search(unit(1, 0.1), 2, 'A').map((n) => n.id)).toEqual(['B', 'C']);
    expect(index.search(unit(1, 0), 1)[0]?.score).toBeCloseTo(1, 6);
  });

  it('scores every row as its dot product, whatever the dimensions, search after search', () => {
    // 7 dimensions: the scan's groups of four and the remainder both count.
    let seed = 1;
    const next = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647 - 0.5;
    };
    const vectors = Array.from({ length: 300 }, () => unit(...Array.from({ length: 7 }, next)));
    const wide = new VectorIndex(
      vectors.map((_, i) => `T${i}`),
      vectors,
      7,
    );
    for (const query of vectors.slice(0, 3)) {
      const exact = vectors
        .map((v, i) => ({ id: `T${i}`, score: v.reduce((sum, x, c) => sum + x * (query[c] as number), 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
      const found = wide.search(query, 10);
      expect(found.map((n) => n.id)).toEqual(exact.map((e) => e.id));
      for (const [i, n] of found.entries()) expect(n.score).toBeCloseTo(exact[i]?.score as number, 5);
    }
  });

  it('refuses a vector of another model’s size', () => {
    expect(() => new VectorIndex(['A'], [unit(1, 0, 0)], 2)).toThrow(/3 dimensions, not 2/);
  });
});
