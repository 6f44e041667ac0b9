import {
  type Db,
  type EnhancementClaim,
  markPosted,
  markPosting,
  type PostedResult,
  recordLlmExchange,
  type TenantRow,
} from '@ai-agents/db';
import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import { type EventJob, type Logger, safeErrorMessage } from '@ai-agents/shared';
import type { StageClock } from '../metrics.js';
import type { GatheredContext } from './context-types.js';
import { explainNote } from './explain-note.js';
import type { LlmStepResult } from './llm-step.js';
import { noteMarker } from './render-note.js';

// Notes whose description the list left out are fetched one by one, newest first, at most this many:
// the note a crashed attempt posted is among the newest (it was posted just before the crash, and a
// stalled job is retried within minutes), and each fetch is one ServiceDesk Plus call of the budget.
export const MAX_NOTE_FETCHES = 5;

/**
 * A previous attempt that crashed between "posted to ServiceDesk Plus" and "recorded in Postgres"
 * left a note carrying this enhancement's marker. Finding it means the note exists: do not post again.
 * Some on-prem builds list notes without their descriptions: those notes are unknown, not empty, and
 * the newest of them that could be ours (not shown to the requester) are read one by one.
 */
export async function findPostedNote(
  sdp: ServiceDeskClient,
  requestId: string,
  enhancementId: string,
): Promise<string | null> {
  const marker = noteMarker(enhancementId);
  const notes = await sdp.listNotes(requestId);
  const listed = notes.find((n) => n.description?.includes(marker));
  if (listed) return listed.id;
  const unknown = notes
    .filter((n) => n.description === undefined && !n.show_to_requester)
    .reverse()
    .slice(0, MAX_NOTE_FETCHES);
  for (const candidate of unknown) {
    const note = await sdp.getNote(requestId, candidate.id);
    if (note.description?.includes(marker)) return note.id;
  }
  return null;
}

/** A rendered note and what it was made of: the full enhancement's context and LLM step, or neither. */
export interface NoteToPost {
  html: string;
  context: GatheredContext | null;
  step: LlmStepResult | null;
  /** The alert storm's first enhancement, when this note points there. */
  stormOf: string | null;
}

/** What postAndRecord() needs of the job in progress. */
export interface PostingRun {
  data: EventJob;
  tenant: TenantRow;
  claim: EnhancementClaim;
  log: Logger;
  started: number;
  clock: StageClock;
}

/**
 * Marks the enhancement "posting" (a crash after this is resolved by findPostedNote(), never by a
 * second note), posts the note as an internal note, and records the outcome with its audit entry.
 */
export async function postAndRecord(
  deps: { db: Db },
  run: PostingRun,
  sdp: ServiceDeskClient,
  note: NoteToPost,
): Promise<{ noteId: string; fallback: boolean; citations: string[]; stormOf?: string }> {
  const { data, tenant, claim, log, clock } = run;
  const scope = { db: deps.db, tenantId: tenant.id };
  await markPosting(scope, claim.id);
  const posted = await clock.stage('post_note', () =>
    sdp.addNote(data.requestId, { description: note.html, showToRequester: false }),
  );
  const latencyMs = Date.now() - run.started;
  const { result, details } = outcomeRecord(note, posted.id, latencyMs, clock.stages);
  await clock.timed('record', async () => {
    await markPosted(scope, claim.id, result, {
      actor: 'worker',
      action: 'note.posted',
      details: { requestId: data.requestId, eventId: data.eventId, ...details },
    });
    await keepModelIo(scope, run, note);
  });
  log.info(
    {
      noteId: posted.id,
      fallback: result.fallback,
      latencyMs,
      similar: note.context?.similar.length ?? 0,
      stages: clock.stages,
      stormOf: note.stormOf ?? undefined,
    },
    note.stormOf ? 'alert-storm note posted' : 'note posted',
  );
  return {
    noteId: posted.id,
    fallback: result.fallback,
    citations: details.citations,
    ...(note.stormOf ? { stormOf: note.stormOf } : {}),
  };
}

/**
 * The text sent to the model and its answer, for a tenant that keeps them (`tenant llm --keep-llm-io`;
 * recordLlmExchange() checks the setting again in its statement). The note is posted and recorded
 * by now: a failure here is logged, never a reason to run the job again.
 */
async function keepModelIo(scope: { db: Db; tenantId: string }, run: PostingRun, note: NoteToPost) {
  const exchange = note.step?.exchange;
  if (!exchange || run.tenant.keepLlmIoDays <= 0) return;
  try {
    await recordLlmExchange(scope, run.claim.id, exchange);
  } catch (error) {
    // The statement's parameters are ticket text: only the cause goes to the log.
    run.log.warn(
      { reason: safeErrorMessage(error) },
      'could not keep the model input and output of this note',
    );
  }
}

/** The enhancement's columns for a posted note, and its audit entry's details (ids and counts only). */
function outcomeRecord(
  note: NoteToPost,
  noteId: string,
  latencyMs: number,
  stagesMs: Record<string, number>,
) {
  const { step } = note;
  const outcome = step?.outcome ?? null;
  const ai = outcome?.kind === 'ai' ? outcome : null;
  // A storm follower's note is short by design, not a fallback.
  const fallback = outcome !== null && !ai;
  const fallbackReason =
    outcome?.kind === 'fallback'
      ? outcome.reason
      : outcome?.kind === 'budget_exhausted'
        ? 'monthly AI budget exhausted'
        : null;
  const citations = !outcome
    ? []
    : ai
      ? ai.note.cited_ticket_ids
      : (note.context?.similar ?? []).map((t) => t.externalId);
  const droppedCitations = ai?.droppedCitations.length ?? 0;
  const budgetState = step?.budget.state ?? null;
  const suggestionsApplied = step?.suggestionsApplied ?? false;
  const result: PostedResult = {
    noteId,
    fallback,
    fallbackReason,
    model: ai?.model ?? null,
    tokensIn: ai?.tokensIn ?? null,
    tokensOut: ai?.tokensOut ?? null,
    latencyMs,
    costUsd: ai?.costUsd ?? null,
    promptVersion: step?.promptVersion ?? null,
    droppedCitations,
    language: step?.language ?? null,
    budgetState,
    suggestedCategory: ai?.note.suggested_category ?? null,
    suggestedPriority: ai?.note.suggested_priority ?? null,
    confidence: ai?.note.confidence ?? null,
    suggestionsApplied,
    explanation: explainNote(note, stagesMs),
  };
  const details = {
    noteId,
    fallback,
    citations,
    droppedCitations,
    budgetState,
    suggestionsApplied,
    ...(note.stormOf ? { stormOf: note.stormOf } : {}),
  };
  return { result, details };
}
