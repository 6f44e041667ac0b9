import { createDatabase, type Database, monthlyTokensUsed, monthWindow, tenantUsage } from '@ai-agents/db';
import { fakeEmbedding, type Sandbox, startFakeLlm, startSandbox } from '@ai-agents/sandbox';
import { loadConfig } from '@ai-agents/shared';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiEmbedderOptions, createApiEmbedder, MAX_INPUT_CHARS } from '../src/api-embedder.js';
import { apiEmbedderDeps, tenantApiEmbedder } from '../src/tenant-api-embedder.js';

// The embeddings API embedder against the sandbox's fake /v1/embeddings (real HTTP, OpenAI's limits
// and refusals), and its cost in the tenant's budget and the usage report against real Postgres.

let sandbox: Sandbox;
let owner: Database;
const DIMENSIONS = 1536;

beforeAll(async () => {
  sandbox = await startSandbox();
  owner = createDatabase({ url: sandbox.testDb.ownerUrl });
});

afterAll(async () => {
  await owner?.close();
  await sandbox?.close();
});

afterEach(() => sandbox.llm.clearFaults());

/** An embedder on the sandbox's fake (or `url` with `apiKey`), no retries unless asked. */
function embedder(
  options: Partial<Omit<ApiEmbedderOptions, 'client'>> & { url?: string; apiKey?: string } = {},
) {
  const { url, apiKey, ...rest } = options;
  return createApiEmbedder({
    client: new OpenAI({ apiKey: apiKey ?? 'sandbox', baseURL: url ?? sandbox.llm.url }),
    model: 'text-embedding-3-small',
    batchSize: 128,
    timeoutMs: 5_000,
    maxRetries: 0,
    ...rest,
  });
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe('batching', () => {
  it('sends bounded batches in order and returns one vector per text, in the order given', async () => {
    const texts = Array.from(
      { length: 300 },
      (_, i) => `Ticket ${i}: printer ${i % 7} on floor ${i % 3} jams`,
    );
    const before = sandbox.llm.embeddingCalls.length;
    const vectors = await embedder({ batchSize: 128 }).embed(texts);
    const calls = sandbox.llm.embeddingCalls.slice(before);
    expect(calls.map((c) => c.inputs)).toEqual([128, 128, 44]);
    expect(vectors).toHaveLength(300);
    for (const i of [0, 127, 128, 299]) expect(vectors[i]).toEqual(fakeEmbedding(texts[i] ?? '', DIMENSIONS));
  });

  it('a paraphrase lands nearer than an unrelated ticket', async () => {
    const [a, b, c] = await embedder().embed([
      'Outlook keeps asking for my password after the mailbox migration',
      'After the mailbox migration Outlook prompts for the password again and again',
      'The printer on the third floor is jammed',
    ]);
    if (!a || !b || !c) throw new Error('missing vectors');
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.3);
  });

  it('cuts a long text to the input bound and sends no empty text (the API refuses one)', async () => {
    const long = 'disk full on the file server '.repeat(5_000);
    const before = sandbox.llm.embeddingCalls.length;
    const [cut, empty, blank] = await embedder().embed([long, '', '   ']);
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => [c.inputs, c.status])).toEqual([[1, 200]]);
    expect(cut).toEqual(fakeEmbedding(long.slice(0, MAX_INPUT_CHARS), DIMENSIONS));
    expect([...(empty ?? [])].every((x) => x === 0) && [...(blank ?? [])].every((x) => x === 0)).toBe(true);
  });

  it('asks for shortened vectors when dimensions are configured', async () => {
    const short = embedder({ model: 'text-embedding-3-large', dimensions: 256 });
    const [vector] = await short.embed(['VPN drops every hour']);
    expect(short.dimensions).toBe(256);
    expect(vector).toHaveLength(256);
  });
});

describe('timeouts and retries', () => {
  it('gives up on an API that never answers after the timeout and the bounded retries', async () => {
    sandbox.llm.setFault({ hang: true }, 'embeddings');
    const before = sandbox.llm.embeddingCalls.length;
    await expect(embedder({ timeoutMs: 300, maxRetries: 1 }).embed(['VPN drops'])).rejects.toThrow(
      OpenAI.APIConnectionTimeoutError,
    );
    // The first attempt and one retry, then no more.
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => c.status)).toEqual([0, 0]);
  });

  it('retries a failing API and succeeds when it recovers within the retries', async () => {
    sandbox.llm.setFault({ failNext: 2, status: 503 }, 'embeddings');
    const before = sandbox.llm.embeddingCalls.length;
    const [vector] = await embedder({ maxRetries: 2 }).embed(['VPN drops']);
    expect(vector).toEqual(fakeEmbedding('VPN drops', DIMENSIONS));
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it('an embeddings fault leaves the chat route alone', async () => {
    sandbox.llm.setFault({ status: 503 }, 'embeddings');
    const chat = new OpenAI({ apiKey: 'sandbox', baseURL: sandbox.llm.url, maxRetries: 0 });
    const answer = await chat.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Subject: VPN drops' }],
    });
    expect(answer.choices[0]?.message.content).toContain('VPN drops');
  });
});

describe('refusals', () => {
  it('a wrong key is refused once with 401, never retried', async () => {
    const keyed = await startFakeLlm({ apiKey: 'the-right-key' });
    try {
      const wrong = embedder({ url: keyed.url, apiKey: 'a-wrong-key', maxRetries: 3 });
      await expect(wrong.embed(['VPN drops'])).rejects.toThrow(OpenAI.AuthenticationError);
      expect(keyed.embeddingCalls.map((c) => c.status)).toEqual([401]);
    } finally {
      await keyed.close();
    }
  });

  it('an unknown model is a 404, and a model of another server needs its dimensions configured', async () => {
    const other = embedder({ model: 'bge-m3', dimensions: 1024, maxRetries: 2 });
    await expect(other.embed(['VPN drops'])).rejects.toThrow(OpenAI.NotFoundError);
    expect(() => embedder({ model: 'bge-m3' })).toThrow(/EMBEDDING_DIMENSIONS is required/);
  });
});

describe('cost', () => {
  it("counts the API's tokens in the tenant's monthly budget and in the usage report, per tenant", async () => {
    const config = loadConfig({ ...sandbox.env, EMBEDDER: 'openai' }, 'worker');
    const deps = apiEmbedderDeps(config, sandbox.database.db);
    const { tenant } = await sandbox.addTenant({ slug: 'embeds' });
    const { tenant: quiet } = await sandbox.addTenant({ slug: 'quiet' });
    const texts = ['Outlook asks for the password', 'VPN drops every hour', 'Printer jams on tray 2'];
    const tokens = texts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);

    await tenantApiEmbedder(deps, { id: tenant.id, embeddingModel: null }).embed(texts);
    expect(await monthlyTokensUsed({ db: sandbox.database.db, tenantId: tenant.id })).toBe(tokens);
    expect(await monthlyTokensUsed({ db: sandbox.database.db, tenantId: quiet.id })).toBe(0);

    const { from, to } = monthWindow(new Date());
    const report = await tenantUsage(owner.db, from, to);
    const row = report.find((r) => r.slug === 'embeds');
    expect(row).toMatchObject({ embeddingTokens: tokens, enhancements: 0 });
    // text-embedding-3-small: USD 0.02 per million tokens; the total cost includes it.
    expect(row?.embeddingCostUsd).toBeCloseTo((tokens * 0.02) / 1e6, 9);
    expect(row?.costUsd).toBeCloseTo(row?.embeddingCostUsd ?? -1, 9);
    expect(report.find((r) => r.slug === 'quiet')).toMatchObject({ embeddingTokens: 0, costUsd: 0 });
  });

  it("a tenant's own model is used and priced as that model", async () => {
    const config = loadConfig({ ...sandbox.env, EMBEDDER: 'openai' }, 'worker');
    const deps = apiEmbedderDeps(config, sandbox.database.db);
    const { tenant } = await sandbox.addTenant({ slug: 'large' });
    const large = tenantApiEmbedder(deps, { id: tenant.id, embeddingModel: 'text-embedding-3-large' });
    expect(large.dimensions).toBe(3072);
    const before = sandbox.llm.embeddingCalls.length;
    await large.embed(['Teams calls drop']);
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => c.model)).toEqual(['text-embedding-3-large']);
    const { from, to } = monthWindow(new Date());
    const row = (await tenantUsage(owner.db, from, to)).find((r) => r.slug === 'large');
    expect(row?.embeddingCostUsd).toBeCloseTo((Math.ceil('Teams calls drop'.length / 4) * 0.13) / 1e6, 9);
  });
});
