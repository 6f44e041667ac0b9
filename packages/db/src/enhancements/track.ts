import { eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { AuditEntry } from '../audit/record.js';
import type { Tx } from '../client.js';
import { auditLog } from '../schema/audit-log.js';
import { type EnhancementStatus, enhancements } from '../schema/enhancements.js';

export interface EnhancementClaim {
  id: string;
  status: EnhancementStatus;
  attempts: number;
  noteId: string | null;
  /** For a skipped event: the enhancement that owns this ticket's note. */
  duplicateOf: string | null;
}

/**
 * Records that an attempt at an event has started and returns the durable state of the event.
 * A posted (or posting) event keeps its status, so a redelivered or retried job can see that a note
 * exists, or may exist, before it does anything.
 *
 * One note per ticket and event kind: a second event of the same kind for the same request (e.g.
 * ServiceDesk Plus firing request.created twice, with two event ids) is marked `skipped` while another
 * event of that request is processing, posting or posted. Claims of one request are serialised by a
 * transaction-scoped advisory lock, so two concurrent jobs cannot both become the owner. An owner that
 * failed for good does not block a later event: that one takes over.
 */
export async function beginEnhancement(
  tx: Tx,
  input: { tenantId: string; eventId: string; event: string; requestId: string },
): Promise<EnhancementClaim> {
  // One round trip: lock, upsert, owner check and skip are the SQL function begin_enhancement()
  // (migration 0009), under the caller's row-level security.
  const result = await tx.execute<{
    id: string;
    status: EnhancementStatus;
    attempts: number;
    note_id: string | null;
    duplicate_of: string | null;
  }>(
    sql`select * from begin_enhancement(${input.tenantId}, ${input.eventId}, ${input.event}, ${input.requestId})`,
  );
  const row = result.rows[0];
  if (!row) throw new Error('Enhancement claim returned no row');
  return {
    id: row.id,
    status: row.status,
    attempts: row.attempts,
    noteId: row.note_id,
    duplicateOf: row.duplicate_of,
  };
}

/** Marks that a note is about to be posted: a crash after this point is resolved by looking for the note. */
export async function markPosting(tx: Tx, id: string): Promise<void> {
  await tx.execute(sql`update ${enhancements} set status = 'posting', updated_at = now() where id = ${id}`);
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
  tx: Tx,
  id: string,
  result: PostedResult,
  audit?: AuditEntry,
): Promise<void> {
  const update = sql`update ${enhancements}
    set status = 'posted', error = null, posted_at = now(), updated_at = now(), ${sql.join(assignments(result), sql`, `)}
    where id = ${id}`;
  if (!audit) {
    await tx.execute(update);
    return;
  }
  await tx.execute(
    sql`with posted as (${update} returning id)
        insert into ${auditLog} (tenant_id, actor, action, details)
        select ${audit.tenantId}, ${audit.actor}, ${audit.action}, ${JSON.stringify(audit.details ?? {})}::jsonb
          from posted`,
  );
}

export async function markFailed(tx: Tx, id: string, error: string): Promise<void> {
  await tx
    .update(enhancements)
    .set({ status: 'failed', error: error.slice(0, 2000), updatedAt: sql`now()` })
    .where(eq(enhancements.id, id));
}
