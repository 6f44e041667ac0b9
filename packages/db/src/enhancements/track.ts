import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { type EnhancementStatus, enhancements } from '../schema/enhancements.js';

export interface EnhancementClaim {
  id: string;
  status: EnhancementStatus;
  attempts: number;
  noteId: string | null;
}

/**
 * Records that an attempt at an event has started and returns the durable state of the event.
 * A posted (or posting) event keeps its status, so a redelivered or retried job can see that a note
 * exists, or may exist, before it does anything.
 */
export async function beginEnhancement(
  tx: Tx,
  input: { tenantId: string; eventId: string; event: string; requestId: string },
): Promise<EnhancementClaim> {
  const [row] = await tx
    .insert(enhancements)
    .values({
      tenantId: input.tenantId,
      eventId: input.eventId,
      event: input.event,
      sdpRequestId: input.requestId,
      status: 'processing',
      attempts: 1,
    })
    .onConflictDoUpdate({
      target: [enhancements.tenantId, enhancements.eventId],
      set: {
        attempts: sql`${enhancements.attempts} + 1`,
        updatedAt: sql`now()`,
        status: sql`case when ${enhancements.status} in ('posted', 'posting') then ${enhancements.status} else 'processing' end`,
      },
    })
    .returning({
      id: enhancements.id,
      status: enhancements.status,
      attempts: enhancements.attempts,
      noteId: enhancements.noteId,
    });
  if (!row) throw new Error('Enhancement upsert returned no row');
  return row;
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
  } & EnhancementDetails,
): Promise<void> {
  await tx
    .update(enhancements)
    .set({ ...result, status: 'posted', error: null, postedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(enhancements.id, id));
}

export async function markFailed(tx: Tx, id: string, error: string): Promise<void> {
  await tx
    .update(enhancements)
    .set({ status: 'failed', error: error.slice(0, 2000), updatedAt: sql`now()` })
    .where(eq(enhancements.id, id));
}
