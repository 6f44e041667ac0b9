import { describe, expect, it } from 'vitest';
import { DEFAULT_LLM_PRICES, estimateCost, priceFor } from './llm-prices.js';

describe('LLM price table', () => {
  it('prices dated model names by their longest listed prefix', () => {
    expect(priceFor(DEFAULT_LLM_PRICES, 'gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceFor(DEFAULT_LLM_PRICES, 'gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10 });
    expect(priceFor(DEFAULT_LLM_PRICES, 'llama-3-70b')).toBeNull();
  });

  it('estimates the cost of one call in USD', () => {
    expect(estimateCost(DEFAULT_LLM_PRICES, 'gpt-4o-mini', 1_000_000, 100_000)).toBeCloseTo(0.21, 10);
    expect(estimateCost(DEFAULT_LLM_PRICES, 'unknown-model', 10, 10)).toBeNull();
    expect(estimateCost(DEFAULT_LLM_PRICES, 'gpt-4o-mini', null, 10)).toBeNull();
  });
});
