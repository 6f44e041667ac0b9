import { isRecord } from '../json-value.js';
import { type OpenAiErrorBody, openAiError } from './openai-errors.js';

/*
 * The fake's POST /v1/embeddings, after OpenAI's API reference ("Create embeddings",
 * platform.openai.com/docs/api-reference/embeddings/create, and the openai-node client's
 * EmbeddingCreateParams): `input` is a string or an array of strings that may not be empty, at most
 * 2048 inputs, each at most 8192 tokens, at most 300,000 tokens summed over a request; `dimensions`
 * only for text-embedding-3 and later; `encoding_format` "float" or "base64" (openai-node asks for
 * base64 unless told otherwise). An unknown model is a 404 (`model_not_found`). Token arrays as input
 * are refused here (the real API takes them; nothing in this project sends them).
 */

/** Native dimensions of OpenAI's embedding models; `dimensions` may shorten the text-embedding-3 ones. */
export const EMBEDDING_MODELS: Readonly<Record<string, { dimensions: number; shortens: boolean }>> = {
  'text-embedding-3-small': { dimensions: 1536, shortens: true },
  'text-embedding-3-large': { dimensions: 3072, shortens: true },
  'text-embedding-ada-002': { dimensions: 1536, shortens: false },
};

const MAX_INPUTS = 2048;
const MAX_INPUT_TOKENS = 8192;
const MAX_REQUEST_TOKENS = 300_000;
// Words of up to this length count; a longer run of letters (a pasted hash or log) is cut.
const MAX_WORD_CHARS = 40;

// The fake counts tokens as the chat fake does: four characters each.
export const embeddingTokens = (text: string) => Math.ceil(text.length / 4);

export interface EmbeddingRequest {
  model: string;
  inputs: string[];
  dimensions: number;
  base64: boolean;
}

type Refusal = { status: 400 | 404; body: OpenAiErrorBody };

const invalid = (message: string, param: string | null = null): Refusal => ({
  status: 400,
  body: { error: { ...openAiError(message, 'invalid_request_error').error, param } },
});

function inputsOf(input: unknown): string[] | Refusal {
  const list = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(list)) return invalid("Missing required parameter: 'input'.", 'input');
  if (list.length === 0 || list.some((text) => text === ''))
    return invalid("'$.input' is invalid. Please check the API reference.", 'input');
  if (list.length > MAX_INPUTS)
    return invalid(`'$.input' is too long: ${list.length} inputs, at most ${MAX_INPUTS}.`, 'input');
  if (!list.every((text): text is string => typeof text === 'string'))
    return invalid('The sandbox takes text inputs only (no token arrays).', 'input');
  return list;
}

function tokenLimits(inputs: string[]): Refusal | null {
  let total = 0;
  for (const text of inputs) {
    const tokens = embeddingTokens(text);
    if (tokens > MAX_INPUT_TOKENS) {
      return invalid(
        `This model's maximum context length is ${MAX_INPUT_TOKENS} tokens, however you requested ${tokens} tokens in the input. Please reduce your input.`,
        'input',
      );
    }
    total += tokens;
  }
  if (total > MAX_REQUEST_TOKENS)
    return invalid(`Requested ${total} tokens, max ${MAX_REQUEST_TOKENS} tokens per request`, 'input');
  return null;
}

function dimensionsOf(request: Record<string, unknown>, model: string): number | Refusal {
  const known = EMBEDDING_MODELS[model];
  if (!known) {
    return {
      status: 404,
      body: openAiError(
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      ),
    };
  }
  if (request.dimensions === undefined) return known.dimensions;
  if (!known.shortens) return invalid('This model does not support specifying dimensions.', 'dimensions');
  const wanted = request.dimensions;
  if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted < 1 || wanted > known.dimensions)
    return invalid(`'dimensions' must be an integer from 1 to ${known.dimensions}.`, 'dimensions');
  return wanted;
}

/** The request, or what OpenAI answers instead, in the order it checks: body, model, input, sizes. */
export function parseEmbeddingRequest(request: unknown): EmbeddingRequest | Refusal {
  if (!isRecord(request)) return invalid('The request body is not valid JSON.');
  const model = typeof request.model === 'string' ? request.model : '';
  if (model === '') return invalid("Missing required parameter: 'model'.", 'model');
  const format = request.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64')
    return invalid("'encoding_format' must be 'float' or 'base64'.", 'encoding_format');
  const dimensions = dimensionsOf(request, model);
  if (typeof dimensions !== 'number') return dimensions;
  const inputs = inputsOf(request.input);
  if (!Array.isArray(inputs)) return inputs;
  return tokenLimits(inputs) ?? { model, inputs, dimensions, base64: format === 'base64' };
}

function hash(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Lower-case words with a crude English stem, so "prompts"/"prompted"/"prompt" land together. */
function words(text: string): string[] {
  const found = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return found.map((word) => word.slice(0, MAX_WORD_CHARS).replace(/(?:ing|ed|es|s)$/, '') || word);
}

/**
 * A fixed vector per text: a hashed bag of (stemmed) words, signed, L2-normalised. Texts that share
 * words are near (cosine ~ shared share of words), unrelated texts near 0, the same text always the
 * same vector: what retrieval tests need from a model, in linear time.
 */
export function fakeEmbedding(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const bag = words(text);
  for (const word of bag.length > 0 ? bag : [text]) {
    const h = hash(word, 0x811c9dc5);
    const slot = h % dimensions;
    vector[slot] = (vector[slot] ?? 0) + ((h & 0x80000000) === 0 ? 1 : -1);
  }
  let norm = 0;
  for (const x of vector) norm += x * x;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) * scale;
  return vector;
}

function encode(vector: Float32Array, base64: boolean): number[] | string {
  return base64
    ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
    : [...vector];
}

/** The 200 body for a valid request, as OpenAI shapes it. */
export function embeddingsBody(request: EmbeddingRequest) {
  const tokens = request.inputs.reduce((sum, text) => sum + embeddingTokens(text), 0);
  return {
    object: 'list',
    data: request.inputs.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: encode(fakeEmbedding(text, request.dimensions), request.base64),
    })),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
