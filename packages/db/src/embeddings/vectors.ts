import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';
import { pgvectorStoreOf, savePgvectors } from './pgvector.js';

/*
 * Data operations of similar-tickets-by-meaning (schema/ticket-vectors.ts): the tenant's history as
 * text to embed, its vectors per model, and its embedding models. All under row-level security.
 */

// The embedder reads a ticket's opening, as BM25's query does (history/similar-tickets.ts).
const MAX_EMBED_CHARS = 4_000;

export interface HistoryText {
  historyId: string;
  externalId: string;
  text: string;
}

/** The tenant's history as the embedder reads it (subject and description), by external id. */
export async function historyTexts(scope: TenantScope): Promise<HistoryText[]> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ id: string; external_id: string; text: string }>(sql`
      select id, external_id, left(subject || ' ' || description, ${MAX_EMBED_CHARS}) as text
        from ticket_history order by external_id`),
  );
  return result.rows.map((r) => ({ historyId: r.id, externalId: r.external_id, text: r.text }));
}

/** How many tickets the tenant's history holds (kept by the ticket_history triggers; one row read). */
export async function historySize(scope: TenantScope): Promise<number> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ docs: string | number | null }>(sql`select (select docs from ticket_history_stats) as docs`),
  );
  return Number(result.rows[0]?.docs ?? 0);
}

/**
 * The next page of the history by external id (after `after` when given), and which of its tickets
 * have no vector under `modelId` (new since the fit, or all after a model change). Two statements,
 * each bounded by the page: a page of the history by its unique (tenant, external id) index, then
 * the page's ids looked up in ticket_vectors. (An anti-join over the whole history was planned as a
 * nested loop while ticket_vectors was filling and not yet analysed: quadratic, past 260 s at 50,000.)
 * `last` is the page's last external id, the cursor of the next call; null at the end.
 */
export async function historyWithoutVectors(
  scope: TenantScope,
  modelId: string,
  limit: number,
  after?: string,
): Promise<{ missing: HistoryText[]; last: string | null }> {
  const page = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ id: string; external_id: string; text: string }>(sql`
      select h.id, h.external_id, left(h.subject || ' ' || h.description, ${MAX_EMBED_CHARS}) as text
        from ticket_history h
       ${after === undefined ? sql`` : sql`where h.external_id > ${after}`}
       order by h.external_id limit ${limit}`),
  );
  if (page.rows.length === 0) return { missing: [], last: null };
  const ids = page.rows.map((r) => r.id);
  const embedded = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ history_id: string }>(sql`
      select history_id from ticket_vectors
       where model_id = ${modelId} and history_id = any(${sql.param(ids)}::uuid[])`),
  );
  const done = new Set(embedded.rows.map((r) => r.history_id));
  return {
    missing: page.rows
      .filter((r) => !done.has(r.id))
      .map((r) => ({ historyId: r.id, externalId: r.external_id, text: r.text })),
    last: page.rows[page.rows.length - 1]?.external_id ?? null,
  };
}

export interface StoredVector {
  historyId: string;
  externalId: string;
  vector: Float32Array;
}

/** Stores (or replaces) vectors of history tickets under `modelId`, in one statement. */
export async function saveTicketVectors(
  scope: TenantScope,
  modelId: string,
  vectors: { historyId: string; vector: Float32Array }[],
): Promise<void> {
  if (vectors.length === 0) return;
  const ids = vectors.map((v) => v.historyId);
  const blobs = vectors.map(({ vector }) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`
      insert into ticket_vectors (tenant_id, history_id, model_id, vector)
      select ${scope.tenantId}, h, ${modelId}, v from unnest(${sql.param(ids)}::uuid[], ${sql.param(blobs)}::bytea[]) as t(h, v)
      on conflict (tenant_id, model_id, history_id) do update set vector = excluded.vector`),
  );
  // Mirrored into the pgvector store where migrate created it (pgvector.ts); asked once per pool.
  if (await pgvectorStoreOf(scope.db)) await savePgvectors(scope, modelId, vectors);
}

/** Every vector of the tenant under `modelId`, with its ticket's external id. */
export async function loadTicketVectors(scope: TenantScope, modelId: string): Promise<StoredVector[]> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ history_id: string; external_id: string; vector: Buffer }>(sql`
      select v.history_id, h.external_id, v.vector from ticket_vectors v
        join ticket_history h on h.id = v.history_id
       where v.model_id = ${modelId} order by h.external_id`),
  );
  return result.rows.map((r) => ({
    historyId: r.history_id,
    externalId: r.external_id,
    // Copied out (one block copy): a Float32Array needs an aligned buffer of its own.
    vector: new Float32Array(
      r.vector.buffer.slice(r.vector.byteOffset, r.vector.byteOffset + r.vector.byteLength),
    ),
  }));
}
