import { z } from 'zod';

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

// List prices of common OpenAI models when this was written; override or extend with LLM_PRICES.
// A self-hosted model is free at the margin: give it {"input":0,"output":0}.
export const DEFAULT_LLM_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  // Embedding models (openai.com/api/pricing): input tokens only, so output is 0.
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
};

export const modelPricesSchema = z.record(
  z.string().min(1),
  z.object({ input: z.number().min(0), output: z.number().min(0) }).strict(),
);

/**
 * The price of a model: an exact entry, else the longest entry the model name starts with (the API
 * answers with dated names such as gpt-4o-mini-2024-07-18). Null when the model is not in the table.
 */
export function priceFor(prices: Readonly<Record<string, ModelPrice>>, model: string): ModelPrice | null {
  const exact = prices[model];
  if (exact) return exact;
  const prefix = Object.keys(prices)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? (prices[prefix] ?? null) : null;
}

/** Estimated cost in USD, or null when the model has no price or the usage is unknown. */
export function estimateCost(
  prices: Readonly<Record<string, ModelPrice>>,
  model: string,
  tokensIn: number | null,
  tokensOut: number | null,
): number | null {
  const price = priceFor(prices, model);
  if (!price || tokensIn === null || tokensOut === null) return null;
  return (tokensIn * price.input + tokensOut * price.output) / 1_000_000;
}
