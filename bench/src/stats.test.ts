import { describe, expect, it } from 'vitest';
import { percentile } from './stats.js';

describe('percentile', () => {
  it('takes the nearest rank, whatever the order of the samples', () => {
    const samples = [9, 1, 5, 3, 7, 2, 8, 4, 10, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 95)).toBe(10);
    expect(percentile(samples, 10)).toBe(1);
  });

  it('is NaN without samples, so a scenario that measured nothing cannot pass a target', () => {
    expect(percentile([], 95)).toBeNaN();
  });
});
