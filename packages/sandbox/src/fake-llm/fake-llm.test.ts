import { type FakeLlm, fakeEmbedding, startFakeLlm } from '@ai-agents/sandbox';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

let llm: FakeLlm;
let openai: OpenAI;

beforeAll(async () => {
  llm = await startFakeLlm();
  openai = new OpenAI({ apiKey: 'x', baseURL: llm.url, maxRetries: 0 });
});
afterAll(() => llm.close());
afterEach(() => llm.clearFaults());

const PROMPT = [
  'Ticket to investigate:',
  'Subject: Outlook keeps asking for the password',
  'Requester: Jordan Lee',
  '',
  'Similar resolved tickets:',
  '[ticket:4711] Subject: Outlook password prompt after migration',
  '[ticket:4698] Password loop in Outlook 365',
  '[ticket:4711] (seen again)',
  '[ticket:4655] Shared mailbox missing',
  '[ticket:4602] VPN disconnects',
  'Knowledge base: [solution:42] Clear cached credentials',
].join('\n');

const IDS_IN_PROMPT = new Set(['4711', '4698', '4655', '4602', '42']);

// The shape a worker would ask for; parsing with zod proves the answer satisfies it.
const TechnicianNote = z.object({
  summary: z.string(),
  language: z.string(),
  confidence: z.number().min(0).max(1),
  next_steps: z.array(z.string()),
  cited_ticket_ids: z.array(z.string()),
  cited_solution_ids: z.array(z.string()),
  category: z.enum(['email', 'network', 'hardware']),
  details: z.object({ suspected_cause: z.string().nullable(), escalate: z.boolean() }),
});

describe('fake LLM through the openai SDK', () => {
  it('answers a json_schema request with JSON that satisfies the schema and cites only ids from the prompt', async () => {
    const completion = await openai.chat.completions.parse({
      model: 'gpt-sandbox',
      messages: [
        { role: 'system', content: 'You write internal notes for technicians.' },
        { role: 'user', content: PROMPT },
      ],
      response_format: zodResponseFormat(TechnicianNote, 'technician_note'),
    });
    const note = completion.choices[0]?.message.parsed;
    expect(note).toBeTruthy();
    if (!note) return;
    expect(TechnicianNote.parse(note)).toEqual(note);
    expect(note.cited_ticket_ids).toEqual(['4711', '4698', '4655']);
    expect(note.cited_solution_ids).toEqual(['42']);
    for (const id of [...note.cited_ticket_ids, ...note.cited_solution_ids])
      expect(IDS_IN_PROMPT.has(id)).toBe(true);
    expect(note.language).toBe('en');
    expect(note.summary).toContain('Outlook keeps asking for the password');
    expect(note.confidence).toBe(0.5);
    expect(note.category).toBe('email');
    expect(note.next_steps.length).toBeGreaterThanOrEqual(2);
    expect(note.next_steps.length).toBeLessThanOrEqual(3);
    expect(note.next_steps[0]).toMatch(/^Check /);
    expect(note.details).toEqual({ suspected_cause: expect.any(String), escalate: false });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('answers the same request with the same content every time', async () => {
    const ask = () =>
      openai.chat.completions.create({
        model: 'gpt-sandbox',
        messages: [{ role: 'user', content: PROMPT }],
        response_format: zodResponseFormat(TechnicianNote, 'technician_note'),
      });
    const [first, second] = await Promise.all([ask(), ask()]);
    expect(first.choices[0]?.message.content).toBe(second.choices[0]?.message.content);
  });

  it('cites nothing when the prompt has no markers of that kind', async () => {
    const completion = await openai.chat.completions.parse({
      model: 'gpt-sandbox',
      messages: [{ role: 'user', content: 'Subject: New laptop request' }],
      response_format: zodResponseFormat(TechnicianNote, 'technician_note'),
    });
    expect(completion.choices[0]?.message.parsed?.cited_ticket_ids).toEqual([]);
  });

  it('answers plain text without a response_format', async () => {
    const completion = await openai.chat.completions.create({
      model: 'gpt-sandbox',
      messages: [{ role: 'user', content: PROMPT }],
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect(content).toContain('Outlook keeps asking for the password');
    expect(() => JSON.parse(content)).toThrow();
    expect(llm.calls.at(-1)).toEqual({ model: 'gpt-sandbox', promptChars: PROMPT.length, status: 200 });
    expect(llm.prompts.at(-1)).toBe(PROMPT);
  });

  it('surfaces a 429 fault as the SDK’s RateLimitError with retry-after', async () => {
    llm.setFault({ failNext: 1, status: 429, retryAfterSeconds: 3 });
    const error = await openai.chat.completions
      .create({ model: 'gpt-sandbox', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    // The fault was for one call only.
    await expect(
      openai.chat.completions.create({ model: 'gpt-sandbox', messages: [{ role: 'user', content: 'hi' }] }),
    ).resolves.toBeTruthy();
  });

  it('surfaces a 503 fault as the SDK’s InternalServerError', async () => {
    llm.setFault({ failNext: 1, status: 503 });
    const error = await openai.chat.completions
      .create({ model: 'gpt-sandbox', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('answers non-JSON content under the invalidOutput fault', async () => {
    llm.setFault({ invalidOutput: true });
    const completion = await openai.chat.completions.create({
      model: 'gpt-sandbox',
      messages: [{ role: 'user', content: PROMPT }],
      response_format: zodResponseFormat(TechnicianNote, 'technician_note'),
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect(content.length).toBeGreaterThan(0);
    expect(() => JSON.parse(content)).toThrow();
  });

  it('never answers under the hang fault, until the client gives up', async () => {
    llm.setFault({ hang: true });
    const impatient = new OpenAI({ apiKey: 'x', baseURL: llm.url, maxRetries: 0, timeout: 200 });
    const error = await impatient.chat.completions
      .create({ model: 'gpt-sandbox', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(llm.calls.at(-1)?.status).toBe(0);
  });

  it('delays answers by latencyMs', async () => {
    llm.setFault({ latencyMs: 150 });
    const started = Date.now();
    await openai.chat.completions.create({
      model: 'gpt-sandbox',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('fake LLM over plain HTTP', () => {
  it('refuses a call without a bearer token, in OpenAI’s error shape', async () => {
    const res = await fetch(`${llm.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string; type: string; code: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.code).toBe('missing_api_key');
  });

  it('takes faults from the control endpoint', async () => {
    const base = llm.url.replace(/\/v1$/, '');
    const set = await fetch(`${base}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ plan: { failNext: 1, status: 500 } }),
    });
    expect(set.status).toBe(204);
    const call = () =>
      fetch(`${llm.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await call()).status).toBe(500);
    expect((await call()).status).toBe(200);

    const bad = await fetch(`${base}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ plan: { failnext: 1 } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe(
      'Invalid fault plan: unknown key "failnext"',
    );
  });
});

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

// The fake /v1/embeddings refuses what OpenAI's refuses, in OpenAI's error shape, through the SDK.
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
