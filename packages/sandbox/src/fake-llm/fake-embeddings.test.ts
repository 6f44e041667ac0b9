import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEmbedding } from './embeddings.js';
import { type FakeLlm, startFakeLlm } from './fake-llm.js';

// The fake /v1/embeddings refuses what OpenAI's refuses, in OpenAI's error shape, through the SDK.

let llm: FakeLlm;
let openai: OpenAI;

beforeAll(async () => {
  llm = await startFakeLlm();
  openai = new OpenAI({ apiKey: 'x', baseURL: llm.url, maxRetries: 0 });
});

afterAll(() => llm.close());

/** The status and OpenAI error body of a refused request (raw HTTP: the SDK would not send some). */
async function refusal(body: unknown, key = 'x') {
  const res = await fetch(`${llm.url}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { error: { type: string; code: string | null; param: string | null } };
  return { status: res.status, type: json.error.type, code: json.error.code, param: json.error.param };
}

describe('fake /v1/embeddings', () => {
  it('answers floats or base64 of the same fixed vector, with usage', async () => {
    const floats = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['VPN drops every hour'],
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toEqual([...fakeEmbedding('VPN drops every hour', 1536)]);
    expect(floats.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    // The SDK asks for base64 by default and decodes it: the same numbers arrive.
    const decoded = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'VPN drops every hour',
    });
    expect(decoded.data[0]?.embedding).toEqual(floats.data[0]?.embedding);
  });

  it('refuses what OpenAI refuses: empty, too many, too long, unknown model, dimensions it cannot give', async () => {
    const model = 'text-embedding-3-small';
    expect(await refusal({ model, input: [] })).toMatchObject({ status: 400, param: 'input' });
    expect(await refusal({ model, input: '' })).toMatchObject({ status: 400, param: 'input' });
    expect(await refusal({ model, input: Array(2049).fill('a') })).toMatchObject({
      status: 400,
      param: 'input',
    });
    expect(await refusal({ model, input: ['x'.repeat(40_000)] })).toMatchObject({
      status: 400,
      param: 'input',
    });
    // 40 inputs of 32,000 characters: each under 8,192 tokens, together over 300,000.
    expect(await refusal({ model, input: Array(40).fill('y'.repeat(32_000)) })).toMatchObject({
      status: 400,
      param: 'input',
    });
    expect(await refusal({ model: 'bge-m3', input: 'a' })).toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    expect(await refusal({ model: 'text-embedding-ada-002', input: 'a', dimensions: 256 })).toMatchObject({
      status: 400,
      param: 'dimensions',
    });
    expect(await refusal({ model, input: 'a', dimensions: 5000 })).toMatchObject({
      status: 400,
      param: 'dimensions',
    });
    expect(await refusal({ input: 'a' })).toMatchObject({ status: 400, param: 'model' });
    expect(await refusal({ model, input: 'a' }, '')).toMatchObject({ status: 401, code: 'missing_api_key' });
  });

  it('a fake started with a key refuses any other key', async () => {
    const keyed = await startFakeLlm({ apiKey: 'right' });
    try {
      const wrong = new OpenAI({ apiKey: 'wrong', baseURL: keyed.url, maxRetries: 0 });
      await expect(wrong.embeddings.create({ model: 'text-embedding-3-small', input: 'a' })).rejects.toThrow(
        OpenAI.AuthenticationError,
      );
      const right = new OpenAI({ apiKey: 'right', baseURL: keyed.url, maxRetries: 0 });
      const ok = await right.embeddings.create({ model: 'text-embedding-3-small', input: 'a' });
      expect(ok.data).toHaveLength(1);
    } finally {
      await keyed.close();
    }
  });

  it('shares words into nearness: the same text is the same vector, a paraphrase is nearer than another topic', () => {
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
    const a = fakeEmbedding('Outlook prompts for the password', 256);
    const b = fakeEmbedding('password prompt in Outlook', 256);
    const c = fakeEmbedding('printer jammed on floor three', 256);
    expect(fakeEmbedding('Outlook prompts for the password', 256)).toEqual(a);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.3);
  });
});
