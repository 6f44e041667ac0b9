import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  addHistory,
  findSimilarTickets,
  hasEmbeddingModel,
  listEmbeddingModels,
  loadTicketVectors,
  monthlyTokensUsed,
} from '@ai-agents/db';
import { type Sandbox, startFakeLlm, startSandbox } from '@ai-agents/sandbox';
import { loadConfig } from '@ai-agents/shared';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRetrieval, type Retrieval } from '../src/retrieval.js';
import type { Bm25OnlyReason } from '../src/similar-tickets.js';
import { apiEmbedderDeps } from '../src/tenant-api-embedder.js';

// EMBEDDER=openai end to end in the worker's retrieval (createRetrieval, as the worker builds it):
// the history embedded in the background through the sandbox's fake /v1/embeddings (real HTTP,
// OpenAI's refusals), the query embedded per note, BM25 alone meanwhile and on every failure, with
// the reason counted. Real Postgres under row-level security.

const DEV_CSV = fileURLToPath(new URL('../../../../shared/datasets/it-tickets/dev.csv', import.meta.url));
const dev = parse(readFileSync(DEV_CSV), { columns: true }) as { id: string; text: string }[];
const SMALL = 'api:text-embedding-3-small:256';

let sandbox: Sandbox;
afterEach(() => sandbox.llm.clearFaults());
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const scopeOf = (tenantId: string) => ({ db: sandbox.database.db, tenantId });

/** A tenant whose history is 300 tickets of dev.csv (MIN_HISTORY_FOR_EMBEDDINGS is 200). */
async function tenantWith(slug: string) {
  const { tenant } = await sandbox.addTenant({ slug });
  await addHistory(
    scopeOf(tenant.id),
    dev.slice(0, 300).map((r) => ({ externalId: r.id, subject: r.text.slice(0, 80), description: r.text })),
  );
  return tenant.id;
}

/** The worker's retrieval with EMBEDDER=openai on `env` over the sandbox's, recording what it counts. */
function openaiRetrieval(env: Record<string, string> = {}) {
  const config = loadConfig(
    {
      ...sandbox.env,
      EMBEDDER: 'openai',
      EMBEDDING_DIMENSIONS: '256',
      // The bulk embed's requests (128 texts) on a loaded machine; a note's query is bounded by its own 500 ms.
      EMBEDDING_TIMEOUT_MS: '5000',
      EMBEDDING_MAX_RETRIES: '0',
      ...env,
    },
    'worker',
  );
  const reasons: Bm25OnlyReason[] = [];
  const failures: unknown[] = [];
  const retrieval = createRetrieval({
    kind: 'openai',
    api: apiEmbedderDeps(config, sandbox.database.db),
    onBm25Only: (reason) => reasons.push(reason),
    onBackgroundFailure: (error) => failures.push(error),
  });
  return { retrieval, reasons, failures };
}

const query = dev[7] as { id: string; text: string };
const search = (retrieval: Retrieval, tenantId: string, embeddingModel: string | null = null) =>
  retrieval.findSimilar(scopeOf(tenantId), query.text, {
    limit: 5,
    excludeExternalId: query.id,
    timeoutMs: 500,
    embeddingModel,
  });
const bm25Top5 = async (tenantId: string) =>
  (await findSimilarTickets(scopeOf(tenantId), query.text, { limit: 5, excludeExternalId: query.id })).map(
    (t) => t.externalId,
  );

describe('EMBEDDER=openai in the worker’s retrieval', () => {
  let tenantId: string;
  let ready: ReturnType<typeof openaiRetrieval>;

  it('answers a note by BM25 at once while the history is embedded in the background, then by meaning', async () => {
    tenantId = await tenantWith('api-emb');
    ready = openaiRetrieval();
    // Each request of the bulk embed takes 300 ms: the note does not wait for them.
    sandbox.llm.setFault({ latencyMs: 300 }, 'embeddings');
    const first = await search(ready.retrieval, tenantId);
    expect(ready.reasons).toEqual(['no_model']);
    expect(first.map((t) => t.externalId)).toEqual(await bm25Top5(tenantId));
    expect(await hasEmbeddingModel(scopeOf(tenantId), SMALL)).toBe(false);

    await ready.retrieval.idle();
    expect(ready.failures).toEqual([]);
    expect(await loadTicketVectors(scopeOf(tenantId), SMALL)).toHaveLength(300);
    expect((await listEmbeddingModels(scopeOf(tenantId))).map((m) => [m.modelId, m.fit])).toEqual([
      [SMALL, null],
    ]);

    sandbox.llm.clearFaults();
    const before = sandbox.llm.embeddingCalls.length;
    const byMeaning = await search(ready.retrieval, tenantId);
    expect(ready.reasons).toEqual(['no_model']);
    expect(byMeaning).toHaveLength(5);
    // The query alone was embedded, with the installation's model.
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => [c.model, c.inputs, c.status])).toEqual([
      ['text-embedding-3-small', 1, 200],
    ]);
    // The bulk embed and the query are billed to the tenant (the fake counts 4 characters a token).
    expect(await monthlyTokensUsed(scopeOf(tenantId))).toBeGreaterThan(300 * 20);
  });

  it('falls back to BM25 when the query’s embedding times out or is refused, each counted', async () => {
    const words = await bm25Top5(tenantId);
    ready.reasons.length = 0;
    sandbox.llm.setFault({ hang: true }, 'embeddings');
    expect((await search(ready.retrieval, tenantId)).map((t) => t.externalId)).toEqual(words);
    sandbox.llm.setFault({ status: 503 }, 'embeddings');
    expect((await search(ready.retrieval, tenantId)).map((t) => t.externalId)).toEqual(words);
    sandbox.llm.setFault({ status: 400 }, 'embeddings');
    expect((await search(ready.retrieval, tenantId)).map((t) => t.externalId)).toEqual(words);
    expect(ready.reasons).toEqual(['embedder_timeout', 'embedder_failed', 'embedder_failed']);
  });

  it('embeds a ticket that joins the history (the ingest job), and only that one', async () => {
    await addHistory(scopeOf(tenantId), [{ externalId: 'NEW-1', subject: 'VPN drops every hour on Wi-Fi' }]);
    const before = sandbox.llm.embeddingCalls.length;
    expect(await ready.retrieval.refresh(scopeOf(tenantId), { embeddingModel: null })).toBe(SMALL);
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => c.inputs)).toEqual([1]);
    expect(await loadTicketVectors(scopeOf(tenantId), SMALL)).toHaveLength(301);
  });

  it('re-embeds the history in the background when the tenant’s model changes, BM25 meanwhile', async () => {
    ready.reasons.length = 0;
    const large = 'api:text-embedding-3-large:3072';
    await search(ready.retrieval, tenantId, 'text-embedding-3-large');
    expect(ready.reasons).toEqual(['no_model']);
    await ready.retrieval.idle();
    expect((await listEmbeddingModels(scopeOf(tenantId))).map((m) => m.modelId)).toEqual([large]);
    expect(await loadTicketVectors(scopeOf(tenantId), large)).toHaveLength(301);
    expect(await loadTicketVectors(scopeOf(tenantId), SMALL)).toEqual([]);

    const before = sandbox.llm.embeddingCalls.length;
    expect(await search(ready.retrieval, tenantId, 'text-embedding-3-large')).toHaveLength(5);
    expect(ready.reasons).toEqual(['no_model']);
    expect(sandbox.llm.embeddingCalls.slice(before).map((c) => c.model)).toEqual(['text-embedding-3-large']);
  });

  it('back to EMBEDDER=lsa: the first fit replaces the API model and its vectors', async () => {
    const lsa = createRetrieval({ kind: 'lsa' });
    const modelId = await lsa.refresh(scopeOf(tenantId), { embeddingModel: null });
    expect(modelId).toMatch(/^lsa-k/);
    expect((await listEmbeddingModels(scopeOf(tenantId))).map((m) => m.modelId)).toEqual([modelId]);
    expect(await loadTicketVectors(scopeOf(tenantId), modelId as string)).toHaveLength(301);
  });

  it('with a wrong key: BM25 answers, the failed embed is counted once and not retried at every note', async () => {
    const keyed = await startFakeLlm({ apiKey: 'the-right-key' });
    try {
      const other = await tenantWith('api-emb-key');
      const wrong = openaiRetrieval({ OPENAI_BASE_URL: keyed.url, OPENAI_API_KEY: 'a-wrong-key' });
      for (let note = 0; note < 3; note++) {
        expect((await search(wrong.retrieval, other)).map((t) => t.externalId)).toHaveLength(5);
        await wrong.retrieval.idle();
      }
      expect(wrong.reasons).toEqual(['no_model', 'no_model', 'no_model']);
      expect(wrong.failures).toHaveLength(1);
      expect(keyed.embeddingCalls.map((c) => c.status)).toEqual([401]);
      expect(await listEmbeddingModels(scopeOf(other))).toEqual([]);
    } finally {
      await keyed.close();
    }
  });
});
