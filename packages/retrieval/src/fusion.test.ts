import { describe, expect, it } from 'vitest';
import { fuse } from './fusion.js';

const bm25 = [
  { id: 'T1', score: 10 },
  { id: 'T2', score: 8 },
  { id: 'T3', score: 2 },
];
const cosine = [
  { id: 'T9', score: 0.9 },
  { id: 'T3', score: 0.8 },
  { id: 'T1', score: 0.1 },
];

describe('fusion of BM25 and cosine', () => {
  it('weighted: w · BM25/max + (1 − w) · cosine, and marks what words alone would not have shown', () => {
    const fused = fuse(bm25, cosine, { method: 'weighted', limit: 2, bm25Weight: 0.1 });
    // T9: 0.9 · 0.9 = 0.81; T3: 0.1 · 0.2 + 0.9 · 0.8 = 0.74; T1: 0.1 + 0.09 = 0.19; T2: 0.08.
    expect(fused.map((f) => f.id)).toEqual(['T9', 'T3']);
    expect(fused[0]?.score).toBeCloseTo(0.81, 6);
    expect(fused.map((f) => f.byMeaning)).toEqual([true, true]);
  });

  it('weighted with all the weight on BM25 is BM25’s order', () => {
    const fused = fuse(bm25, cosine, { method: 'weighted', limit: 3, bm25Weight: 1 });
    expect(fused.map((f) => f.id)).toEqual(['T1', 'T2', 'T3']);
    expect(fused.some((f) => f.byMeaning)).toBe(false);
  });

  it('rrf: a ticket high in both rankings beats one high in only one', () => {
    const fused = fuse(bm25, cosine, { method: 'rrf', limit: 4 });
    expect(fused.map((f) => f.id)).toEqual(['T1', 'T3', 'T9', 'T2']);
    expect(fused.find((f) => f.id === 'T9')?.byMeaning).toBe(true);
  });

  it('says which ranking found each ticket: words, meaning or both (what note show prints)', () => {
    // Limit 3: BM25's first three are T1 T2 T3, cosine's T9 T3 T1.
    const fused = fuse(bm25, cosine, { method: 'rrf', limit: 3 });
    expect(Object.fromEntries(fused.map((f) => [f.id, f.foundBy]))).toEqual({
      T1: 'both',
      T3: 'both',
      T9: 'meaning',
    });
    expect(fuse(bm25, cosine, { method: 'rrf', limit: 4 }).find((f) => f.id === 'T2')?.foundBy).toBe('words');
    // 'none' ranks by words alone, whatever the cosine ranking holds.
    expect(fuse(bm25, cosine, { method: 'none', limit: 3 }).map((f) => f.foundBy)).toEqual([
      'words',
      'words',
      'words',
    ]);
  });

  it('none, or no cosine ranking at all, keeps BM25 alone', () => {
    expect(fuse(bm25, cosine, { method: 'none', limit: 2 }).map((f) => f.id)).toEqual(['T1', 'T2']);
    expect(fuse(bm25, [], { method: 'weighted', limit: 2 }).map((f) => f.id)).toEqual(['T1', 'T2']);
  });
});
