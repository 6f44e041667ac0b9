import { eq, sql } from 'drizzle-orm';
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
  await tx
    .update(enhancements)
    .set({ status: 'posting', updatedAt: sql`now()` })
    .where(eq(enhancements.id, id));
}

/** What the LLM step produced, recorded with the posted note (issue 6: cost, grounding, suggestions). */
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

/**
 * Records the posted note. With `audit`, the audit entry is written by the same statement (a CTE):
 * one round trip, and the entry exists exactly when the enhancement row was updated.
 */
export async function markPosted(
  tx: Tx,
  id: string,
  result: {
    noteId: string;
    fallback: boolean;
    model: string | null;
    tokensIn: number | null;
    tokensOut: number | null;
    latencyMs: number;
    fallbackReason?: string | null;
  } & EnhancementDetails,
  audit?: AuditEntry,
): Promise<void> {
  const update = tx
    .update(enhancements)
    .set({ ...result, status: 'posted', error: null, postedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(enhancements.id, id));
  if (!audit) {
    await update;
    return;
  }
  // drizzle puts an embedded query in parentheses, which is what a CTE needs.
  await tx.execute(
    sql`with posted as ${update.returning({ id: enhancements.id })}
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
