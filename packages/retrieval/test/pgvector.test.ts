import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  addHistory,
  createDatabase,
  type Database,
  historyTexts,
  inTenant,
  pgvectorStoreReady,
  runMigrations,
  saveTicketVectors,
  searchPgvector,
  sql,
  vectorExtension,
} from '@ai-agents/db';
import { testTenant } from '@ai-agents/sandbox';
import { createSecretBox } from '@ai-agents/shared';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embedder.js';
import { fitLsa, lsaEmbedder } from '../src/lsa.js';
import { findSimilarFused, type VectorSearchPath } from '../src/similar-tickets.js';
import { embedMissing } from '../src/tenant-embeddings.js';
import { VectorCache } from '../src/vector-cache.js';
import { VectorIndex } from '../src/vector-index.js';

/*
 * The pgvector path against a real pgvector: PGlite (PostgreSQL compiled to WebAssembly) with its
 * pgvector build, served over the wire protocol so `pg` and drizzle talk to it as to any server.
 * Our migrations and migrate's store set-up run on it as they would on the `pgvector/pgvector`
 * image; the application's statements run as the application role (SET ROLE: PGlite is one
 * connection and one user), so row-level security applies. PGlite serves one connection at a time.
 */

const DEV_CSV = fileURLToPath(new URL('../../../../shared/datasets/it-tickets/dev.csv', import.meta.url));
const dev = parse(readFileSync(DEV_CSV), { columns: true }) as { id: string; text: string }[];
const APP_ROLE = 'ai_agents_app';

let lite: PGlite;
let server: PGLiteSocketServer;
let url: string;
let database: Database;

beforeAll(async () => {
  lite = await PGlite.create({ extensions: { vector } });
  server = new PGLiteSocketServer({ db: lite, port: 0, host: '127.0.0.1' });
  await server.start();
  url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  await owner.query('create extension vector');
  await owner.end();
  await runMigrations({ databaseUrl: url, appRole: APP_ROLE, appPassword: 'not-a-secret-pglite-test' });
  database = createDatabase({ url, max: 1 });
  database.pool.on('connect', (client) => {
    client.query(`set role ${APP_ROLE}`).catch(() => {});
  });
}, 120_000);

afterAll(async () => {
  await database?.close();
  await server?.stop();
  await lite?.close();
});

const box = createSecretBox(randomBytes(32).toString('base64'));
const scopeOf = (tenantId: string) => ({ db: database.db, tenantId });

/** A tenant whose history is `rows`, ids prefixed per tenant, with their vectors saved as the worker does. */
async function tenantWith(
  slug: string,
  prefix: string,
  rows: { id: string; text: string }[],
  vectors: Float32Array[],
) {
  const { tenant } = await testTenant(database.db, box, { slug });
  const scope = scopeOf(tenant.id);
  await addHistory(
    scope,
    rows.map((r) => ({
      externalId: `${prefix}${r.id}`,
      subject: r.text.slice(0, 80),
      description: r.text.slice(80),
    })),
  );
  const ids = new Map((await historyTexts(scope)).map((h) => [h.externalId, h.historyId]));
  await saveTicketVectors(
    scope,
    MODEL,
    rows.map((r, i) => ({
      historyId: ids.get(`${prefix}${r.id}`) as string,
      vector: vectors[i] as Float32Array,
    })),
  );
  return tenant.id;
}

let MODEL = '';
let DIMS = 0;
let queryTexts: string[] = [];
let lsa: Embedder | undefined;
let tenantA = '';

describe('the pgvector path (PGlite with pgvector)', () => {
  it('is detected once migrate has created the store', async () => {
    expect(await vectorExtension(database.db)).toBe('installed');
    expect(await pgvectorStoreReady(database.db)).toBe(true);
  });

  it('finds the top 5 the in-worker scan finds, and only the tenant’s own tickets', async () => {
    const rows = dev.slice(0, 220);
    const embedder = lsaEmbedder(fitLsa(rows.map((r) => r.text)));
    const vectors = await embedder.embed(rows.map((r) => r.text));
    DIMS = embedder.dimensions;
    MODEL = embedder.modelId;
    queryTexts = dev.slice(220, 250).map((r) => r.text);
    lsa = embedder;
    const a = await tenantWith('pgv-a', 'A-', rows, vectors);
    // Tenant b holds the very same vectors: a leak would show as B- ids in a's answers.
    tenantA = a;
    const b = await tenantWith('pgv-b', 'B-', rows.slice(0, 60), vectors.slice(0, 60));
    const scan = new VectorIndex(
      rows.map((r) => `A-${r.id}`),
      vectors,
      embedder.dimensions,
    );
    const queries = dev.slice(220, 250).map((r) => r.text);
    const queryVectors = await embedder.embed(queries);
    let agreed = 0;
    for (const q of queryVectors) {
      const expected = scan.search(q, 5).map((n) => n.id);
      const found = await searchPgvector(scopeOf(a), MODEL, q, 5);
      expect(found.every((n) => n.id.startsWith('A-'))).toBe(true);
      expect(found).toHaveLength(5);
      agreed += found.filter((n) => expected.includes(n.id)).length;
      // Cosine as the scan computes it, to float32 precision.
      const top = scan.search(q, 1)[0];
      if (top && found[0]?.id === top.id) expect(found[0].score).toBeCloseTo(top.score, 4);
    }
    // HNSW is approximate: at this size with ef_search ≥ 40 it returns what the exact scan does.
    expect(agreed / (queryVectors.length * 5)).toBeGreaterThanOrEqual(0.98);
    // Excluding the ticket itself, as a note for a history ticket does.
    const self = await searchPgvector(scopeOf(a), MODEL, vectors[0] as Float32Array, 5, `A-${rows[0]?.id}`);
    expect(self.map((n) => n.id)).not.toContain(`A-${rows[0]?.id}`);
    expect(self).toHaveLength(5);
    // Tenant b sees only its own 60.
    const fromB = await searchPgvector(scopeOf(b), MODEL, vectors[0] as Float32Array, 100);
    expect(fromB).toHaveLength(60);
    expect(fromB.every((n) => n.id.startsWith('B-'))).toBe(true);
  });

  it('gives the note the same similar tickets through the worker’s search as the in-worker scan', async () => {
    const embedder = lsa as Embedder;
    const cache = new VectorCache({ maxBytes: 1 << 24, maxAgeMs: 60_000 });
    const reasons: string[] = [];
    for (const text of queryTexts.slice(0, 10)) {
      const search = (vectorSearch: VectorSearchPath) =>
        findSimilarFused(scopeOf(tenantA), text, {
          limit: 5,
          embedder,
          cache,
          timeoutMs: 20_000,
          vectorSearch,
          onBm25Only: (reason) => reasons.push(reason),
        });
      const [scan, inPostgres] = [await search('scan'), await search('pgvector')];
      expect(inPostgres.map((t) => t.externalId)).toEqual(scan.map((t) => t.externalId));
      expect(inPostgres.some((t) => t.byMeaning)).toBe(scan.some((t) => t.byMeaning));
    }
    expect(reasons).toEqual([]);
  });

  it('fills the store with vectors written before it existed, at the next background embed', async () => {
    const embedder = lsa as Embedder;
    const scope = scopeOf(tenantA);
    const q = (await embedder.embed([queryTexts[0] as string]))[0] as Float32Array;
    const before = await searchPgvector(scope, MODEL, q, 5);
    await inTenant(scope, 'statement', (tx) => tx.execute(sql`delete from ticket_vectors_pgv`));
    expect(await searchPgvector(scope, MODEL, q, 5)).toEqual([]);
    expect(await embedMissing(scope, embedder)).toBe(0);
    expect(await searchPgvector(scope, MODEL, q, 5)).toEqual(before);
  });

  it('uses the HNSW index of the model’s dimension', async () => {
    const { rows } = await lite.query<{ indexname: string }>(
      `select indexname from pg_indexes where tablename = 'ticket_vectors_pgv' and indexdef like '%hnsw%'`,
    );
    expect(rows.map((r) => r.indexname)).toContain(`ticket_vectors_pgv_hnsw_${DIMS}`);
    // The search's ordering (cast and partial predicate as constants) is one the planner can answer
    // from that index: as the owner (no row-level security qual, no model filter) with sequential
    // scans priced out, the plan names it. Whether the planner prefers it to the (tenant, model)
    // primary key for a real tenant at scale is not checked here (docs/context.md).
    const q = `[${Array.from({ length: DIMS }, (_, i) => (i === 0 ? 1 : 0)).join(',')}]`;
    await lite.exec('begin; set local role postgres; set local enable_seqscan = off');
    try {
      const plan = await lite.query<{ 'QUERY PLAN': string }>(
        `explain select history_id from ticket_vectors_pgv where vector_dims(embedding) = ${DIMS}
          order by embedding::vector(${DIMS}) <=> '${q}'::vector(${DIMS}) limit 5`,
      );
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain(`ticket_vectors_pgv_hnsw_${DIMS}`);
    } finally {
      await lite.exec('rollback');
    }
  });
});
