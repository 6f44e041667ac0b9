import type { Db } from '../client.js';
import { desc, eq, sql } from '../orm.js';
import { type ErasureLogRow, erasureLog } from '../schema/erasure-log.js';
import { inTenant, type TenantScope } from '../with-tenant.js';
import { findTenantTables } from './tenant-tables.js';

/**
 * Rows deleted per statement. Each batch is its own short transaction (the delete and its count in
 * erasure_log together), so a tenant with 250,000 history tickets (about 12 million index postings)
 * never holds one long transaction or one huge WAL record, and a crash loses at most one batch's work,
 * which the re-run does again. 5,000 rows of ticket_terms delete in well under a second.
 */
export const ERASURE_BATCH_ROWS = 5_000;

export interface EraseRowsOptions {
  batchRows?: number;
  /** Called after each committed batch (progress output; tests inject a crash here). */
  onBatch?: (table: string, deleted: number) => void | Promise<void>;
}

/**
 * Opens (or, on a re-run, continues) the erasure record of a disabled tenant. Refused by the
 * database for an active tenant (erasure_begin in migration 0015_tenant_erasure).
 */
export async function beginErasure(scope: TenantScope, actor: string): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`select erasure_begin(${scope.tenantId}::uuid, ${actor})`),
  );
}

/**
 * Deletes every row of the tenant from every tenant table (findTenantTables: found from the schema,
 * children first), in bounded batches; returns the rows this run deleted per table. The tenants row
 * is left for finishErasure(), so a crash half-way leaves a tenant that a re-run can find by slug.
 * Runs as the application role through erasure_delete_batch(), under the tenant's row-level security.
 */
export async function eraseTenantRows(scope: TenantScope, options: EraseRowsOptions = {}) {
  const batchRows = options.batchRows ?? ERASURE_BATCH_ROWS;
  const deleted: Record<string, number> = {};
  for (const table of await findTenantTables(scope.db)) {
    deleted[table] = 0;
    for (;;) {
      const n = await inTenant(scope, 'statement', async (tx) => {
        const result = await tx.execute<{ n: number }>(
          sql`select erasure_delete_batch(${scope.tenantId}::uuid, ${table}, ${batchRows}) as n`,
        );
        return Number(result.rows[0]?.n ?? 0);
      });
      deleted[table] += n;
      if (n > 0) await options.onBatch?.(table, n);
      if (n < batchRows) break;
    }
  }
  return deleted;
}

/**
 * The proof: rows of the tenant left in every tenant table and in tenants (0 everywhere once erased).
 * Counted through erasure_count(), which returns only a number whatever the table's grants.
 */
export async function countTenantRows(scope: TenantScope): Promise<Record<string, number>> {
  const tables = [...(await findTenantTables(scope.db)), 'tenants'];
  return inTenant(scope, 'transaction', async (tx) => {
    const left: Record<string, number> = {};
    for (const table of tables) {
      const result = await tx.execute<{ n: string }>(
        sql`select erasure_count(${scope.tenantId}::uuid, ${table}) as n`,
      );
      left[table] = Number(result.rows[0]?.n ?? 0);
    }
    return left;
  });
}

/**
 * Deletes the tenants row (its encrypted credentials and webhook secrets with it) and closes the
 * erasure record with the Redis keys deleted. Refused while a tenant table still holds a row of it.
 */
export async function finishErasure(scope: TenantScope, redisKeysDeleted: number): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`select erasure_finish(${scope.tenantId}::uuid, ${redisKeysDeleted})`),
  );
}

/** The erasure record of the tenant that had this slug (the latest, if the slug was reused). */
export async function findErasure(db: Db, slug: string): Promise<ErasureLogRow | null> {
  const rows = await db
    .select()
    .from(erasureLog)
    .where(eq(erasureLog.slug, slug))
    .orderBy(desc(erasureLog.startedAt))
    .limit(1);
  return rows[0] ?? null;
}

/** The erasure record of a tenant by id (open while the erasure is under way). */
export async function findErasureOf(db: Db, tenantId: string): Promise<ErasureLogRow | null> {
  const rows = await db.select().from(erasureLog).where(eq(erasureLog.erasedTenantId, tenantId)).limit(1);
  return rows[0] ?? null;
}
