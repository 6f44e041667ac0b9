import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  addHistory,
  createDatabase,
  type Database,
  findSimilarTickets,
  listEmbeddingModels,
  loadTicketVectors,
} from '@ai-agents/db';
import { createTestDatabase, type TestDatabase, testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embedder.js';
import { fitLsa, lsaEmbedder } from '../src/lsa.js';
import { type Bm25OnlyReason, findSimilarFused } from '../src/similar-tickets.js';
import { currentLsaEmbedder, embedMissing, refreshTenantLsa } from '../src/tenant-embeddings.js';
import { VectorCache } from '../src/vector-cache.js';

const DEV_CSV = fileURLToPath(new URL('../../../../shared/datasets/it-tickets/dev.csv', import.meta.url));
const dev = parse(readFileSync(DEV_CSV), { columns: true }) as { id: string; text: string }[];
const box = createSecretBox(randomBytes(32).toString('base64'));
let testDb: TestDatabase;
let database: Database;
const scopeOf = (tenantId: string) => ({ db: database.db, tenantId });

/** A tenant whose history is `rows` of dev.csv, ids prefixed so each tenant's tickets are told apart. */
async function tenantWith(slug: string, prefix: string, rows: { id: string; text: string }[]) {
  const { tenant } = await testTenant(database.db, box, { slug });
  await addHistory(
    scopeOf(tenant.id),
    rows.map((r) => ({
      externalId: `${prefix}${r.id}`,
      subject: r.text.slice(0, 80),
      description: r.text.slice(80),
    })),
  );
  return tenant.id;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ url: testDb.appUrl, max: 2 });
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const cache = () => new VectorCache({ maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 });

describe('tenant embeddings in Postgres', () => {
  it('keeps each tenant’s vectors to itself: another tenant neither reads them nor finds its tickets', async () => {
    const a = await tenantWith('emb-a', 'A-', dev.slice(0, 400));
    const b = await tenantWith('emb-b', 'B-', dev.slice(400, 800));
    const modelA = (await refreshTenantLsa(scopeOf(a))) as string;
    const modelB = (await refreshTenantLsa(scopeOf(b))) as string;
    expect(await loadTicketVectors(scopeOf(a), modelA)).toHaveLength(400);
    expect(await loadTicketVectors(scopeOf(b), modelA)).toEqual([]);
    expect((await listEmbeddingModels(scopeOf(b))).map((m) => m.modelId)).toEqual([modelB]);

    const embedder = await currentLsaEmbedder(scopeOf(b));
    const found = await findSimilarFused(scopeOf(b), dev[5]?.text ?? '', {
      limit: 5,
      embedder,
      cache: cache(),
      timeoutMs: 5_000,
    });
    expect(found).toHaveLength(5);
    expect(found.every((t) => t.externalId.startsWith('B-'))).toBe(true);
  });

  it('marks as found by meaning only tickets that BM25 did not put in its own top 5', async () => {
    const t = await tenantWith('emb-mark', 'M-', dev.slice(0, 600));
    await refreshTenantLsa(scopeOf(t));
    const embedder = await currentLsaEmbedder(scopeOf(t));
    let marked = 0;
    for (const row of dev.slice(0, 20)) {
      const options = { limit: 5, excludeExternalId: `M-${row.id}` };
      const words = new Set(
        (await findSimilarTickets(scopeOf(t), row.text, options)).map((s) => s.externalId),
      );
      const fused = await findSimilarFused(scopeOf(t), row.text, {
        ...options,
        embedder,
        cache: cache(),
        timeoutMs: 5_000,
      });
      for (const s of fused) expect(s.byMeaning).toBe(!words.has(s.externalId));
      marked += fused.filter((s) => s.byMeaning).length;
    }
    // Fusion changes what a technician sees on some of these 20 tickets, and the note can say so.
    expect(marked).toBeGreaterThan(0);
  });

  it('answers from the vectors it holds while a stale copy reloads, then from the reloaded ones', async () => {
    const t = await tenantWith('emb-stale', 'S-', dev.slice(0, 250));
    await refreshTenantLsa(scopeOf(t));
    const { modelId, dimensions } = (await currentLsaEmbedder(scopeOf(t))) as Embedder;
    // Every entry is stale at once: each call after the first starts a background reload.
    const stale = new VectorCache({ maxBytes: 64 * 1024 * 1024, maxAgeMs: 0 });
    const first = await stale.index(scopeOf(t), modelId, dimensions);
    expect(first.size).toBe(250);
    await addHistory(
      scopeOf(t),
      dev.slice(250, 260).map((r) => ({ externalId: `S-${r.id}`, subject: r.text })),
    );
    // Under a fifth more: the same model, the new tickets embedded under it.
    expect(await refreshTenantLsa(scopeOf(t))).toBe(modelId);
    // Not waited for: the held index answers, the reload goes on in the background.
    expect(await stale.index(scopeOf(t), modelId, dimensions)).toBe(first);
    await stale.idle();
    expect((await stale.index(scopeOf(t), modelId, dimensions)).size).toBe(260);
  });

  it('re-embeds the history when the model changes, and drops the old model only afterwards', async () => {
    const t = await tenantWith('emb-refit', 'R-', dev.slice(0, 300));
    const first = (await refreshTenantLsa(scopeOf(t))) as string;
    // Grown by less than a fifth: the same model, new tickets embedded under it.
    await addHistory(
      scopeOf(t),
      dev.slice(300, 340).map((r) => ({ externalId: `R-${r.id}`, subject: r.text })),
    );
    expect(await refreshTenantLsa(scopeOf(t))).toBe(first);
    expect(await loadTicketVectors(scopeOf(t), first)).toHaveLength(340);
    // Grown by a fifth: a new model, every ticket re-embedded, the old vectors gone.
    await addHistory(
      scopeOf(t),
      dev.slice(340, 420).map((r) => ({ externalId: `R-${r.id}`, subject: r.text })),
    );
    const second = (await refreshTenantLsa(scopeOf(t))) as string;
    expect(second).not.toBe(first);
    expect(await loadTicketVectors(scopeOf(t), second)).toHaveLength(420);
    expect(await loadTicketVectors(scopeOf(t), first)).toEqual([]);

    // Another embedder (a model change to an embeddings API) writes its own vectors beside them.
    const other: Embedder = {
      modelId: 'api:test-model',
      dimensions: 3,
      embed: async (texts) => texts.map((x) => Float32Array.from([x.length % 7, 1, 0])),
    };
    expect(await embedMissing(scopeOf(t), other)).toBe(420);
    expect(await embedMissing(scopeOf(t), other)).toBe(0);
    expect(await loadTicketVectors(scopeOf(t), second)).toHaveLength(420);
  });
});

describe('falling back to BM25 alone', async () => {
  const reasons: Bm25OnlyReason[] = [];
  const search = async (tenantId: string, embedder: Embedder | null) => {
    const text = dev[3]?.text ?? '';
    const fused = await findSimilarFused(scopeOf(tenantId), text, {
      limit: 5,
      embedder,
      cache: cache(),
      timeoutMs: 300,
      onBm25Only: (r) => reasons.push(r),
    });
    const words = await findSimilarTickets(scopeOf(tenantId), text, { limit: 5 });
    return { fused: fused.map((f) => f.externalId), words: words.map((w) => w.externalId) };
  };

  it('when the history is small, the tenant has no model, the embedder fails or times out', async () => {
    const small = await tenantWith('emb-small', 'S-', dev.slice(0, 150));
    // Too small to fit on: no model; and a model whose vectors are too few is not used either.
    expect(await refreshTenantLsa(scopeOf(small))).toBeNull();
    await embedMissing(scopeOf(small), lsaEmbedder(fitLsa(dev.slice(0, 150).map((r) => r.text))));
    let result = await search(small, lsaEmbedder(fitLsa(dev.slice(0, 150).map((r) => r.text))));
    expect(result.fused).toEqual(result.words);

    const big = await tenantWith('emb-fail', 'F-', dev.slice(0, 300));
    result = await search(big, null);
    expect(result.fused).toEqual(result.words);
    await refreshTenantLsa(scopeOf(big));
    const lsa = (await currentLsaEmbedder(scopeOf(big))) as Embedder;
    const failing: Embedder = { ...lsa, embed: async () => Promise.reject(new Error('503 from the API')) };
    const hanging: Embedder = { ...lsa, embed: () => new Promise(() => {}) };
    for (const embedder of [failing, hanging]) {
      result = await search(big, embedder);
      expect(result.fused).toEqual(result.words);
    }
    expect(reasons).toEqual(['small_history', 'no_model', 'embedder_failed', 'embedder_timeout']);
  });
});
