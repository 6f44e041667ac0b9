import {
  beginEnhancement,
  type Db,
  loadTenant,
  markFailed,
  markPosted,
  markPosting,
  recordAudit,
  withTenant,
} from '@ai-agents/db';
import { ServiceDeskError } from '@ai-agents/servicedesk';
import { type EnhanceJob, enhanceJobSchema, type Logger, safeErrorMessage } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type OpenAI from 'openai';
import { gatherContext } from '../pipeline/gather-context.js';
import { generateNote } from '../pipeline/generate-note.js';
import type { KnowledgeBase } from '../pipeline/knowledge-base.js';
import { findPostedNote } from '../pipeline/post-note.js';
import { renderNote } from '../pipeline/render-note.js';
import type { TenantClients } from '../pipeline/tenant-client.js';
import { htmlToText } from '../pipeline/ticket-text.js';

export interface EnhanceDeps {
  db: Db;
  llm: OpenAI;
  sdp: TenantClients;
  logger: Logger;
  defaultModel: string;
  llmMaxRetries: number;
  similarLimit: number;
  knowledgeBase: KnowledgeBase;
  contextTimeoutMs: number;
}

export type EnhanceResult =
  | { outcome: 'posted'; noteId: string; fallback: boolean; citations: string[] }
  | { outcome: 'already_posted'; noteId: string | null };

/**
 * request.created → one internal note on the ticket. Steps: claim the event (Postgres), fetch the
 * request (SDP), find similar resolved tickets (Postgres, under RLS), ask the LLM, post the note
 * (SDP), record it (Postgres). No database transaction stays open across an HTTP call.
 */
export async function processEnhanceTicket(job: Job, deps: EnhanceDeps): Promise<EnhanceResult> {
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
  if (claim.status === 'posted') {
    log.info({ noteId: claim.noteId }, 'note already posted for this event; nothing to do');
    return { outcome: 'already_posted', noteId: claim.noteId };
  }

  const fail = (message: string) => withTenant(deps.db, tenant.id, (tx) => markFailed(tx, claim.id, message));
  if (tenant.status !== 'active') {
    await fail('Tenant is disabled');
    throw new UnrecoverableError('Tenant is disabled');
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
    const description = htmlToText(request.description);
    const context = await gatherContext({ requestId: data.requestId, subject, description }, tenant, sdp, {
      db: deps.db,
      knowledgeBase: deps.knowledgeBase,
      logger: log,
      similarLimit: deps.similarLimit,
      timeoutMs: deps.contextTimeoutMs,
    });
    const { similar } = context;

    const outcome = await generateNote(
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
    const html = renderNote({ enhancementId: claim.id, outcome, similar });

    await withTenant(deps.db, tenant.id, (tx) => markPosting(tx, claim.id));
    const note = await sdp.addNote(data.requestId, { description: html, showToRequester: false });
    const latencyMs = Date.now() - started;
    const citations =
      outcome.kind === 'ai' ? outcome.note.cited_ticket_ids : similar.map((t) => t.externalId);
    await withTenant(deps.db, tenant.id, async (tx) => {
      await markPosted(tx, claim.id, {
        noteId: note.id,
        fallback: outcome.kind === 'fallback',
        model: outcome.kind === 'ai' ? outcome.model : null,
        tokensIn: outcome.kind === 'ai' ? outcome.tokensIn : null,
        tokensOut: outcome.kind === 'ai' ? outcome.tokensOut : null,
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
          fallback: outcome.kind === 'fallback',
          citations,
          droppedCitations: outcome.kind === 'ai' ? outcome.droppedCitations.length : 0,
        },
      });
    });
    log.info(
      { noteId: note.id, fallback: outcome.kind === 'fallback', latencyMs, similar: similar.length },
      'note posted',
    );
    return { outcome: 'posted', noteId: note.id, fallback: outcome.kind === 'fallback', citations };
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
