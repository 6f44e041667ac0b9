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

  it('refuses a vector of another model’s size', () => {
    expect(() => new VectorIndex(['A'], [unit(1, 0, 0)], 2)).toThrow(/3 dimensions, not 2/);
  });
});
