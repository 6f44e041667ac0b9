import {
  beginEnhancement,
  type Db,
  findSimilarTickets,
  joinAlertStorm,
  loadTenant,
  markFailed,
  markPosted,
  markPosting,
  recordAudit,
  type SimilarTicket,
  withTenant,
} from '@ai-agents/db';
import { ServiceDeskError } from '@ai-agents/servicedesk';
import { type EnhanceJob, enhanceJobSchema, type Logger, safeErrorMessage } from '@ai-agents/shared';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type OpenAI from 'openai';
import { alertStormKey } from '../pipeline/alert-storm.js';
import { generateNote, type NoteOutcome } from '../pipeline/generate-note.js';
import { findPostedNote } from '../pipeline/post-note.js';
import { renderNote, renderStormNote } from '../pipeline/render-note.js';
import type { SdpRateLimit } from '../pipeline/sdp-rate-limit.js';
import type { TenantClients } from '../pipeline/tenant-client.js';
import { htmlToText, truncate } from '../pipeline/ticket-text.js';

export interface EnhanceDeps {
  db: Db;
  llm: OpenAI;
  sdp: TenantClients;
  logger: Logger;
  defaultModel: string;
  llmMaxRetries: number;
  similarLimit: number;
  /** Per-tenant ServiceDesk Plus call budget; none: unlimited. */
  sdpRateLimit?: SdpRateLimit;
  alertStorm?: { enabled: boolean; windowSeconds: number };
  /** Descriptions longer than this are cut before the LLM (and the note says so). */
  descriptionLimit?: number;
}

export type EnhanceResult =
  | { outcome: 'posted'; noteId: string; fallback: boolean; citations: string[]; stormOf?: string }
  | { outcome: 'already_posted'; noteId: string | null }
  | { outcome: 'skipped'; duplicateOf: string | null };

/**
 * request.created → one internal note on the ticket. Steps: claim the event (Postgres), fetch the
 * request (SDP), find similar resolved tickets (Postgres, under RLS), ask the LLM, post the note
 * (SDP), record it (Postgres). No database transaction stays open across an HTTP call.
 */
export async function processEnhanceTicket(
  job: Job,
  deps: EnhanceDeps,
  token?: string,
): Promise<EnhanceResult> {
  const parsed = enhanceJobSchema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(`Invalid job payload: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  const data: EnhanceJob = parsed.data;
  const log = deps.logger.child({
    jobId: job.id,
    tenantId: data.tenantId,
    eventId: data.eventId,
    requestId: data.requestId,
  });
  const started = Date.now();

  const { tenant, claim } = await withTenant(deps.db, data.tenantId, async (tx) => {
    const tenant = await loadTenant(tx, data.tenantId);
    return { tenant, claim: tenant ? await beginEnhancement(tx, data) : null };
  });
  if (!tenant || !claim) throw new UnrecoverableError('Tenant no longer exists');
  if (claim.status === 'skipped') {
    log.info({ duplicateOf: claim.duplicateOf }, 'another event already handles this ticket; skipped');
    return { outcome: 'skipped', duplicateOf: claim.duplicateOf };
  }
  if (claim.status === 'posted') {
    log.info({ noteId: claim.noteId }, 'note already posted for this event; nothing to do');
    return { outcome: 'already_posted', noteId: claim.noteId };
  }

  const fail = (message: string) => withTenant(deps.db, tenant.id, (tx) => markFailed(tx, claim.id, message));
  if (tenant.status !== 'active') {
    await fail('Tenant is disabled');
    throw new UnrecoverableError('Tenant is disabled');
  }

  if (deps.sdpRateLimit) {
    const waitMs = await deps.sdpRateLimit.reserve(tenant.id);
    if (waitMs > 0) {
      log.info({ waitMs }, 'tenant ServiceDesk Plus budget used up; delaying the job');
      // Not an attempt: the job goes back to the delayed set and keeps its retries.
      if (!token) throw new Error('ServiceDesk Plus rate limit reached');
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
  }

  try {
    const sdp = deps.sdp.forTenant(tenant);
    if (claim.status === 'posting') {
      // The previous attempt stopped after it started posting: the note may already be there.
      const noteId = await findPostedNote(sdp, data.requestId, claim.id);
      if (noteId) {
        await withTenant(deps.db, tenant.id, (tx) =>
          markPosted(tx, claim.id, {
            noteId,
            fallback: false,
            model: null,
            tokensIn: null,
            tokensOut: null,
            latencyMs: Date.now() - started,
          }),
        );
        log.info({ noteId }, 'found the note a previous attempt posted; recorded it');
        return { outcome: 'already_posted', noteId };
      }
    }

    const request = await sdp.getRequest(data.requestId);
    const subject = request.subject ?? '';
    const stormKey = deps.alertStorm?.enabled ? alertStormKey(request) : null;
    const leader = stormKey
      ? await withTenant(deps.db, tenant.id, (tx) =>
          joinAlertStorm(tx, {
            tenantId: tenant.id,
            enhancementId: claim.id,
            stormKey,
            windowSeconds: deps.alertStorm?.windowSeconds ?? 900,
          }),
        )
      : null;

    let outcome: NoteOutcome | null = null;
    let similar: SimilarTicket[] = [];
    let html: string;
    if (leader) {
      // Alert storm: the leader's ticket has (or will have) the full investigation; no LLM call here.
      html = renderStormNote({ enhancementId: claim.id, leaderRequestId: leader.requestId });
    } else {
      const fullDescription = htmlToText(request.description);
      const limit = deps.descriptionLimit ?? 4_000;
      const description = truncate(fullDescription, limit);
      similar = await withTenant(deps.db, tenant.id, (tx) =>
        findSimilarTickets(tx, `${subject}\n${description}`, {
          limit: deps.similarLimit,
          excludeExternalId: data.requestId,
        }),
      );
      outcome = await generateNote(
        deps.llm,
        { subject, description, similar },
        { model: tenant.llmModel ?? deps.defaultModel, maxInvalidRetries: deps.llmMaxRetries },
      );
      if (outcome.kind === 'fallback')
        log.warn({ reason: outcome.reason }, 'LLM unavailable; posting the context-only note');
      if (outcome.kind === 'ai' && outcome.droppedCitations.length > 0) {
        log.warn(
          { dropped: outcome.droppedCitations.length },
          'LLM cited tickets that were not in its context; dropped them',
        );
      }
      html = renderNote({
        enhancementId: claim.id,
        outcome,
        similar,
        truncated:
          fullDescription.length > limit ? { total: fullDescription.length, shown: limit } : undefined,
      });
    }

    await withTenant(deps.db, tenant.id, (tx) => markPosting(tx, claim.id));
    const note = await sdp.addNote(data.requestId, { description: html, showToRequester: false });
    const latencyMs = Date.now() - started;
    const citations = !outcome
      ? []
      : outcome.kind === 'ai'
        ? outcome.note.cited_ticket_ids
        : similar.map((t) => t.externalId);
    const fallback = outcome?.kind === 'fallback';
    const ai = outcome?.kind === 'ai' ? outcome : null;
    await withTenant(deps.db, tenant.id, async (tx) => {
      await markPosted(tx, claim.id, {
        noteId: note.id,
        fallback,
        fallbackReason: outcome?.kind === 'fallback' ? outcome.reason : null,
        model: ai?.model ?? null,
        tokensIn: ai?.tokensIn ?? null,
        tokensOut: ai?.tokensOut ?? null,
        latencyMs,
      });
      await recordAudit(tx, {
        tenantId: tenant.id,
        actor: 'worker',
        action: 'note.posted',
        details: {
          requestId: data.requestId,
          eventId: data.eventId,
          noteId: note.id,
          fallback,
          citations,
          droppedCitations: ai?.droppedCitations.length ?? 0,
          ...(leader ? { stormOf: leader.id } : {}),
        },
      });
    });
    log.info(
      { noteId: note.id, fallback, latencyMs, similar: similar.length, stormOf: leader?.id },
      leader ? 'alert-storm note posted' : 'note posted',
    );
    return {
      outcome: 'posted',
      noteId: note.id,
      fallback,
      citations,
      ...(leader ? { stormOf: leader.id } : {}),
    };
  } catch (error) {
    const message = describe(error);
    if (error instanceof ServiceDeskError && !error.retryable) {
      await fail(message);
      log.warn({ kind: error.kind, httpStatus: error.httpStatus }, `giving up: ${message}`);
      throw new UnrecoverableError(message);
    }
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1))
      await fail(`${message} (after ${job.attemptsMade + 1} attempts)`);
    throw error;
  }
}

function describe(error: unknown): string {
  return safeErrorMessage(error);
}
