import type pg from 'pg';
import type { Db } from '../client.js';
import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/*
 * The pgvector path of similar tickets by meaning (issue 26; docs/context.md "The pgvector path").
 *
 * Not a drizzle migration: a migration cannot require an extension the database may not have. The
 * operator turns it on by installing the `vector` extension (`CREATE EXTENSION vector;` as a
 * superuser, e.g. in the `pgvector/pgvector` image or with the distribution's pgvector package);
 * migrate then creates the store below, idempotently, on each run (ensurePgvectorStore), and the
 * worker, at start-up, searches it instead of scanning in the worker (pgvectorStoreReady).
 *
 * ticket_vectors (bytea) stays the source of truth: the store mirrors its rows as `vector` values,
 * and a foreign key with ON DELETE CASCADE to ticket_vectors removes a mirror row with its source
 * (a dropped model, a deleted history ticket, an erased tenant). Same row-level security as
 * ticket_vectors (migration 0013). HNSW needs one dimension per index, so each model dimension gets
 * a partial expression index (the pgvector README's "different dimensions in the same column"),
 * created by a SECURITY DEFINER function the application role calls before writing (up to 2,000
 * dimensions, HNSW's limit for `vector`; above it, Postgres searches exactly, without an index).
 * Syntax and operators followed: the pgvector README (github.com/pgvector/pgvector), `<=>` is the
 * cosine distance, `vector_cosine_ops` its HNSW operator class, `hnsw.ef_search` the candidates kept.
 */

/** HNSW indexes `vector` columns of up to 2,000 dimensions (pgvector README, "HNSW"). */
export const HNSW_MAX_DIMENSIONS = 2_000;

const STORE_DDL = `
CREATE TABLE IF NOT EXISTS ticket_vectors_pgv (
  tenant_id uuid NOT NULL,
  model_id text NOT NULL,
  history_id uuid NOT NULL,
  embedding vector NOT NULL,
  CONSTRAINT ticket_vectors_pgv_pkey PRIMARY KEY (tenant_id, model_id, history_id),
  CONSTRAINT ticket_vectors_pgv_source_fk FOREIGN KEY (tenant_id, model_id, history_id)
    REFERENCES ticket_vectors (tenant_id, model_id, history_id) ON DELETE CASCADE
);
ALTER TABLE ticket_vectors_pgv ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_vectors_pgv FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS ticket_vectors_pgv_select ON ticket_vectors_pgv;
DROP POLICY IF EXISTS ticket_vectors_pgv_insert ON ticket_vectors_pgv;
DROP POLICY IF EXISTS ticket_vectors_pgv_update ON ticket_vectors_pgv;
DROP POLICY IF EXISTS ticket_vectors_pgv_delete ON ticket_vectors_pgv;
CREATE POLICY ticket_vectors_pgv_select ON ticket_vectors_pgv FOR SELECT USING (tenant_id = current_tenant_id());
CREATE POLICY ticket_vectors_pgv_insert ON ticket_vectors_pgv FOR INSERT WITH CHECK (tenant_id = current_tenant_id());
CREATE POLICY ticket_vectors_pgv_update ON ticket_vectors_pgv FOR UPDATE USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
CREATE POLICY ticket_vectors_pgv_delete ON ticket_vectors_pgv FOR DELETE USING (tenant_id = current_tenant_id());
CREATE OR REPLACE FUNCTION ticket_vectors_pgv_index(dims integer) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF dims IS NULL OR dims < 1 OR dims > ${HNSW_MAX_DIMENSIONS} THEN RETURN; END IF;
  IF to_regclass(format('public.ticket_vectors_pgv_hnsw_%s', dims)) IS NOT NULL THEN RETURN; END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS ticket_vectors_pgv_hnsw_%1$s ON ticket_vectors_pgv
       USING hnsw ((embedding::vector(%1$s)) vector_cosine_ops) WHERE vector_dims(embedding) = %1$s',
    dims);
END $$;
REVOKE ALL ON FUNCTION ticket_vectors_pgv_index(integer) FROM PUBLIC;
`;

export type PgvectorStoreState = 'absent' | 'created';

/**
 * Creates (or re-asserts) the pgvector store when the `vector` extension is installed, and grants it
 * to the application role; does nothing otherwise. Run by migrate as the owner, after the migrations.
 */
export async function ensurePgvectorStore(
  client: pg.ClientBase,
  appRole: string,
): Promise<PgvectorStoreState> {
  const { rows } = await client.query<{ installed: boolean }>(
    `select exists (select 1 from pg_extension where extname = 'vector') as installed`,
  );
  if (!rows[0]?.installed) return 'absent';
  const role = `"${appRole.replaceAll('"', '""')}"`;
  await client.query(STORE_DDL);
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ticket_vectors_pgv TO ${role}`);
  await client.query(`GRANT EXECUTE ON FUNCTION ticket_vectors_pgv_index(integer) TO ${role}`);
  return 'created';
}

/** Whether the pgvector store is there to search (extension installed and migrate created the table). */
export async function pgvectorStoreReady(db: Db): Promise<boolean> {
  const result = await db.execute<{ ready: boolean }>(
    sql`select exists (select 1 from pg_extension where extname = 'vector')
               and to_regclass('ticket_vectors_pgv') is not null as ready`,
  );
  return result.rows[0]?.ready === true;
}

const stores = new WeakMap<Db, Promise<boolean>>();

/** pgvectorStoreReady() asked once per pool: whether saves are mirrored into the store. */
export function pgvectorStoreOf(db: Db): Promise<boolean> {
  let ready = stores.get(db);
  if (!ready) {
    // A failed check means no mirror for this pool (the worker then scans, start.ts), not failed saves.
    ready = pgvectorStoreReady(db).catch(() => false);
    stores.set(db, ready);
  }
  return ready;
}

/**
 * Mirrors the tenant's vectors under `modelId` that the store lacks (written before migrate created
 * it), a page at a time; returns how many. Run after each background embed (embedMissing), so an
 * installation that turns pgvector on fills the store as its tenants' histories are refreshed.
 */
export async function mirrorMissingPgvectors(
  scope: TenantScope,
  modelId: string,
  page = 500,
): Promise<number> {
  if (!(await pgvectorStoreOf(scope.db))) return 0;
  let mirrored = 0;
  for (;;) {
    const result = await inTenant(scope, 'statement', (tx) =>
      tx.execute<{ history_id: string; vector: Buffer }>(sql`
        select v.history_id, v.vector from ticket_vectors v
         where v.model_id = ${modelId}
           and not exists (select 1 from ticket_vectors_pgv p
                            where p.tenant_id = v.tenant_id and p.model_id = v.model_id and p.history_id = v.history_id)
         limit ${page}`),
    );
    if (result.rows.length === 0) return mirrored;
    await savePgvectors(
      scope,
      modelId,
      // Copied out: a Float32Array needs an aligned buffer of its own.
      result.rows.map((r) => ({
        historyId: r.history_id,
        vector: new Float32Array(Uint8Array.from(r.vector).buffer),
      })),
    );
    mirrored += result.rows.length;
  }
}

/** pgvector's text form of a vector: `[1,2,3]`. A float32 prints exactly as a double. */
function vectorText(vector: Float32Array): string {
  for (const x of vector) if (!Number.isFinite(x)) throw new Error('a vector holds a non-finite number');
  return `[${Array.from(vector).join(',')}]`;
}

/**
 * Mirrors vectors already saved in ticket_vectors (saveTicketVectors) into the pgvector store, and
 * makes sure their dimension has its HNSW index. One statement each.
 */
export async function savePgvectors(
  scope: TenantScope,
  modelId: string,
  vectors: { historyId: string; vector: Float32Array }[],
): Promise<void> {
  const first = vectors[0];
  if (!first) return;
  const dims = first.vector.length;
  if (vectors.some((v) => v.vector.length !== dims))
    throw new Error(`vectors of ${modelId} differ in dimensions`);
  await inTenant(scope, 'statement', (tx) => tx.execute(sql`select ticket_vectors_pgv_index(${dims}::int)`));
  const ids = vectors.map((v) => v.historyId);
  const texts = vectors.map((v) => vectorText(v.vector));
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`
      insert into ticket_vectors_pgv (tenant_id, model_id, history_id, embedding)
      select ${scope.tenantId}, ${modelId}, h, v::vector from unnest(${sql.param(ids)}::uuid[], ${sql.param(texts)}::text[]) as t(h, v)
      on conflict (tenant_id, model_id, history_id) do update set embedding = excluded.embedding`),
  );
}

export interface PgvectorNeighbour {
  /** The history ticket's external id. */
  id: string;
  /** Cosine similarity (1 − pgvector's cosine distance). */
  score: number;
}

/**
 * The tenant's `limit` nearest history tickets to `query` under `modelId` by cosine, best first,
 * skipping `excludeId`, asked of Postgres: by the dimension's HNSW index, with `hnsw.ef_search` at
 * least the candidates asked for (the default 40 caps what an index scan returns) and, where
 * pgvector has it (0.8+), an iterative scan, so rows of other tenants that row-level security
 * filters out of the index's candidates do not leave the tenant with fewer than `limit`.
 */
export async function searchPgvector(
  scope: TenantScope,
  modelId: string,
  query: Float32Array,
  limit: number,
  excludeId?: string,
): Promise<PgvectorNeighbour[]> {
  const dims = query.length;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000)
    throw new Error(`limit ${limit} is not in 1..1000`);
  if (dims < 1 || dims > 16_000) throw new Error(`a query of ${dims} dimensions is out of pgvector's range`);
  const want = limit + (excludeId === undefined ? 0 : 1);
  const efSearch = Math.min(1_000, Math.max(40, want * 2));
  const q = vectorText(query);
  // `dims` is an integer checked above: safe to inline, and the partial index needs it as a constant.
  const typed = sql.raw(`::vector(${dims})`);
  return inTenant(scope, 'transaction', async (tx) => {
    await tx.execute(sql.raw(`set local hnsw.ef_search = ${efSearch}`));
    await tx.execute(
      sql`select set_config('hnsw.iterative_scan', 'strict_order', true)
           where exists (select 1 from pg_extension where extname = 'vector' and string_to_array(extversion, '.')::int[] >= '{0,8}')`,
    );
    const result = await tx.execute<{ external_id: string; distance: number }>(sql`
      select h.external_id, v.embedding${typed} <=> ${q}${typed} as distance
        from ticket_vectors_pgv v
        join ticket_history h on h.id = v.history_id
       where v.model_id = ${modelId} and vector_dims(v.embedding) = ${sql.raw(String(dims))}
       order by v.embedding${typed} <=> ${q}${typed}
       limit ${want}`);
    return result.rows
      .filter((r) => r.external_id !== excludeId)
      .slice(0, limit)
      .map((r) => ({ id: r.external_id, score: 1 - Number(r.distance) }));
  });
}
