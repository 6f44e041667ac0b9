import { removeOldLlmExchanges } from '../explanations/llm-exchange.js';
import { sql } from '../orm.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/**
 * What retention removes, as the `table` label of retention_rows_removed_total: rows deleted, except
 * `feedback_comments` (comments cleared, the vote kept). ticket_terms and feedback rows go with the
 * ticket or enhancement they belong to.
 */
export const RETENTION_TABLES = [
  'ticket_history',
  'ticket_terms',
  'enhancements',
  'feedback',
  'feedback_comments',
  'audit_log',
  'llm_exchanges',
] as const;

export type RetentionTable = (typeof RETENTION_TABLES)[number];

export type RemovedRows = Partial<Record<RetentionTable, number>>;

/** The most rows one retention statement touches (the database functions cap it there too). */
export const MAX_RETENTION_BATCH = 10_000;

/**
 * The tenant's resolved tickets older than `before` (resolution time, creation time for a ticket
 * without one), oldest first, at most `limit`. The delete trigger of ticket_history removes their
 * postings from ticket_terms and lowers the BM25 statistics (migration 0008); the postings are
 * counted before they go. The application role may delete history (imports replace it), so this
 * is a plain statement under row-level security.
 */
export async function removeOldHistory(
  scope: TenantScope,
  before: Date,
  limit: number,
): Promise<RemovedRows> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ history: number; terms: number }>(sql`
      with doomed as (
        select id from ticket_history
         where tenant_id = ${scope.tenantId} and coalesce(resolved_at, created_at) < ${before.toISOString()}
         order by coalesce(resolved_at, created_at)
         limit ${batchLimit(limit)}
      ), terms as (
        select count(*)::int as n from ticket_terms
         where tenant_id = ${scope.tenantId} and history_id in (select id from doomed)
      ), gone as (
        delete from ticket_history h using doomed d where h.id = d.id returning 1
      )
      select (select count(*)::int from gone) as history, (select n from terms) as terms`),
  );
  const row = result.rows[0];
  return { ticket_history: row?.history ?? 0, ticket_terms: row?.terms ?? 0 };
}

/**
 * Final enhancements created before `before`, and the feedback on them, at most `limit`, through
 * retention_remove_enhancements() (migration 0012), which never goes below its floors: in-flight
 * rows, the last 7 days, the current month, a day before the tenant's reconcile cursor.
 */
export async function removeOldEnhancements(
  scope: TenantScope,
  before: Date,
  limit: number,
): Promise<RemovedRows> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ enhancements: number; feedback: number }>(
      sql`select * from retention_remove_enhancements(${before.toISOString()}, ${batchLimit(limit)})`,
    ),
  );
  const row = result.rows[0];
  return { enhancements: row?.enhancements ?? 0, feedback: row?.feedback ?? 0 };
}

/** Audit entries created before `before` (at least a day old), at most `limit`: retention_remove_audit(). */
export async function removeOldAudit(scope: TenantScope, before: Date, limit: number): Promise<RemovedRows> {
  return { audit_log: await countOf(scope, sql`retention_remove_audit`, before, limit) };
}

/** Clears feedback comments written before `before`; the votes stay: retention_clear_feedback_comments(). */
export async function clearOldFeedbackComments(
  scope: TenantScope,
  before: Date,
  limit: number,
): Promise<RemovedRows> {
  return { feedback_comments: await countOf(scope, sql`retention_clear_feedback_comments`, before, limit) };
}

/**
 * The model's input and output kept for `note show`, past the tenant's keep_llm_io_days before `now`
 * (all of them when it is 0): removeOldLlmExchanges() reads the setting itself.
 */
export async function removeOldModelIo(scope: TenantScope, now: Date, limit: number): Promise<RemovedRows> {
  return { llm_exchanges: await removeOldLlmExchanges(scope, now, batchLimit(limit)) };
}

async function countOf(
  scope: TenantScope,
  fn: ReturnType<typeof sql>,
  before: Date,
  limit: number,
): Promise<number> {
  const result = await inTenant(scope, 'statement', (tx) =>
    tx.execute<{ n: number }>(sql`select ${fn}(${before.toISOString()}, ${batchLimit(limit)}) as n`),
  );
  return result.rows[0]?.n ?? 0;
}

function batchLimit(limit: number): number {
  return Math.max(1, Math.min(MAX_RETENTION_BATCH, Math.floor(limit)));
}
