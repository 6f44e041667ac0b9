import type { AuditEntry } from '../audit/record.js';
import type { NoteExplanation } from '../explanations/explanation.js';
import { eq, getTableColumns, type SQL, sql } from '../orm.js';
import { auditLog } from '../schema/audit-log.js';
import { type EnhancementStatus, enhancements } from '../schema/enhancements.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface EnhancementClaim {
  id: string;
  status: EnhancementStatus;
  attempts: number;
  noteId: string | null;
  /** For a skipped event: the enhancement that owns this ticket's note. */
  duplicateOf: string | null;
}

/** Marks that a note is about to be posted: a crash after this point is resolved by looking for the note. */
export async function markPosting(scope: TenantScope, id: string): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx.execute(sql`update ${enhancements} set status = 'posting', updated_at = now() where id = ${id}`),
  );
}

/** What the LLM step produced, recorded with the posted note: cost, grounding, suggestions. */
export interface EnhancementDetails {
  costUsd?: number | null;
  promptVersion?: string | null;
  droppedCitations?: number;
  language?: string | null;
  budgetState?: 'ok' | 'soft' | 'hard' | null;
  suggestedCategory?: string | null;
  suggestedPriority?: string | null;
  confidence?: number | null;
  suggestionsApplied?: boolean;
  /** What the note was built from, for `note show` (bounded: boundExplanation()). */
  explanation?: NoteExplanation | null;
}

export type PostedResult = {
  noteId: string;
  fallback: boolean;
  model: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  latencyMs: number;
  fallbackReason?: string | null;
} & EnhancementDetails;

const columns = getTableColumns(enhancements);

/** "column" = value for each field given, named and converted as the drizzle schema says. */
function assignments(result: PostedResult): SQL[] {
  const parts: SQL[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (value === undefined) continue;
    const column = columns[key as keyof typeof columns];
    if (!column) throw new Error(`markPosted: ${key} is not a column of enhancements`);
    parts.push(
      sql`${sql.identifier(column.name)} = ${value === null ? null : column.mapToDriverValue(value)}`,
    );
  }
  return parts;
}

/**
 * Records the posted note (fields left undefined keep their value). With `audit`, the audit entry is
 * written by the same statement (a CTE): one round trip, and the entry exists exactly when the
 * enhancement row was updated. Written as one sql template, not drizzle's update builder, whose
 * query building showed in the worker's profile (npm run bench -- --only=pipeline --cpu-prof).
 */
export async function markPosted(
  scope: TenantScope,
  id: string,
  result: PostedResult,
  audit?: AuditEntry,
): Promise<void> {
  const update = sql`update ${enhancements}
    set status = 'posted', error = null, posted_at = now(), updated_at = now(), ${sql.join(assignments(result), sql`, `)}
    where id = ${id}`;
  await inTenant(scope, 'statement', (tx) => tx.execute(audit ? withAudit(scope, update, audit) : update));
}

/**
 * `update` and its audit entry as one statement (a CTE): the entry exists exactly when the update
 * changed a row. `update` must be an update of enhancements without a returning clause.
 */
function withAudit(scope: TenantScope, update: SQL, audit: AuditEntry): SQL {
  return sql`with changed as (${update} returning id)
    insert into ${auditLog} (tenant_id, actor, action, details)
    select ${scope.tenantId}, ${audit.actor}, ${audit.action}, ${JSON.stringify(audit.details ?? {})}::jsonb
      from changed`;
}

/**
 * Records that the tenant's rules skipped the ticket: status `skipped`, the deciding rule
 * (`decidingRule()` of @ai-agents/shared: its place in the document, never the ticket's value) and the
 * audit entry, in one statement. No note was posted and no LLM was called.
 */
export async function markSkippedByRule(
  scope: TenantScope,
  id: string,
  skippedBy: string,
  audit: AuditEntry,
): Promise<void> {
  const update = sql`update ${enhancements}
    set status = 'skipped', skipped_by = ${skippedBy}, error = null, updated_at = now()
    where id = ${id}`;
  await inTenant(scope, 'statement', (tx) => tx.execute(withAudit(scope, update, audit)));
}

export async function markFailed(scope: TenantScope, id: string, error: string): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx
      .update(enhancements)
      .set({ status: 'failed', error: error.slice(0, 2000), updatedAt: sql`now()` })
      .where(eq(enhancements.id, id)),
  );
}
