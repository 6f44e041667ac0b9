import OpenAI from 'openai';
import type { Embedder } from './embedder.js';

/*
 * An embedder over an OpenAI-compatible POST /v1/embeddings, through the openai package, after
 * OpenAI's API reference ("Create embeddings", platform.openai.com/docs/api-reference/embeddings):
 * `input` is an array of non-empty strings, at most 2048 of them, each at most 8192 tokens, at most
 * 300,000 tokens per request; `dimensions` only for text-embedding-3 and later. The sandbox's fake
 * (packages/sandbox/src/fake-llm/embeddings.ts) refuses the same.
 */

/** Native dimensions of OpenAI's models; another server's model needs EMBEDDING_DIMENSIONS. */
const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
// A ticket's subject and description state the problem in their opening; 8,000 characters stay under
// the 8,192-token limit even for scripts that take a token per character.
export const MAX_INPUT_CHARS = 8_000;
// Under the API's 300,000 tokens per request even at a token per character.
export const MAX_BATCH_CHARS = 250_000;
// The API takes 2048 inputs a request.
export const MAX_BATCH_SIZE = 2048;

export interface ApiEmbedderOptions {
  client: OpenAI;
  model: string;
  /** Required for a model OpenAI does not list; for text-embedding-3-* it shortens the vectors. */
  dimensions?: number;
  /** Texts per request, 1..2048. */
  batchSize: number;
  /** Per attempt; the client retries 408, 409, 429, 5xx and connection errors up to maxRetries. */
  timeoutMs: number;
  maxRetries: number;
  /** Called once per answered request, with the tokens the API counted: the tenant's bill. */
  onUsage?: (usage: { model: string; tokens: number }) => Promise<void> | void;
}

/** Splits texts into requests of at most `size` texts and MAX_BATCH_CHARS characters, in order. */
export function batchesOf(texts: string[], size: number): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const text of texts) {
    if (current.length > 0 && (current.length >= size || chars + text.length > MAX_BATCH_CHARS)) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(text);
    chars += text.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A vector as the API sent it: base64 of little-endian float32 (what is asked for), or a list of numbers. */
function vectorOf(embedding: unknown): Float32Array {
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
  }
  if (Array.isArray(embedding)) return Float32Array.from(embedding as number[]);
  throw new Error('embeddings API answered without a vector');
}

function dimensionsFor(model: string, dimensions: number | undefined): number {
  const known = KNOWN_DIMENSIONS[model];
  if (dimensions !== undefined) return dimensions;
  if (known !== undefined) return known;
  throw new Error(`EMBEDDING_DIMENSIONS is required for model "${model}" (not one of OpenAI's)`);
}

/**
 * An Embedder over the embeddings API. Texts are cut to MAX_INPUT_CHARS; a text with nothing but
 * whitespace (the API refuses an empty input) gets a zero vector without a call. Requests go one after
 * another, so one tenant's backfill holds one connection to the API.
 */
export function createApiEmbedder(options: ApiEmbedderOptions): Embedder {
  const { client, model } = options;
  const dimensions = dimensionsFor(model, options.dimensions);
  const size = Math.min(Math.max(1, options.batchSize), MAX_BATCH_SIZE);
  // Only text-embedding-3 and later take `dimensions`; others answer 400 when given it.
  const askDimensions = options.dimensions !== undefined && model.startsWith('text-embedding-3');

  async function request(batch: string[]): Promise<Float32Array[]> {
    const response = await client.embeddings.create(
      {
        model,
        input: batch,
        encoding_format: 'base64',
        ...(askDimensions ? { dimensions } : {}),
      },
      { timeout: options.timeoutMs, maxRetries: options.maxRetries },
    );
    await options.onUsage?.({ model, tokens: response.usage?.prompt_tokens ?? 0 });
    const vectors = new Array<Float32Array>(batch.length);
    for (const item of response.data) vectors[item.index] = vectorOf(item.embedding);
    for (let i = 0; i < batch.length; i++) {
      const vector = vectors[i];
      if (!vector || vector.length !== dimensions)
        throw new Error(
          `embeddings API answered ${vector?.length ?? 0} dimensions for input ${i}, expected ${dimensions}`,
        );
    }
    return vectors;
  }

  return {
    modelId: `api:${model}:${dimensions}`,
    dimensions,
    async embed(texts) {
      const cut = texts.map((text) => text.slice(0, MAX_INPUT_CHARS));
      const sent = cut.map((text, i) => ({ text, i })).filter(({ text }) => text.trim() !== '');
      const out: Float32Array[] = cut.map(() => new Float32Array(dimensions));
      let at = 0;
      for (const batch of batchesOf(
        sent.map((s) => s.text),
        size,
      )) {
        const vectors = await request(batch);
        for (const vector of vectors) out[sent[at++]?.i ?? 0] = vector;
      }
      return out;
    },
  };
}

/** An embedder over the API at `baseUrl` (OpenAI's by default) with its own client: for the eval. */
export function apiEmbedderAt(
  options: Omit<ApiEmbedderOptions, 'client'> & { apiKey: string; baseUrl?: string },
): Embedder {
  const { apiKey, baseUrl, ...rest } = options;
  return createApiEmbedder({ client: new OpenAI({ apiKey, ...(baseUrl && { baseURL: baseUrl }) }), ...rest });
}
