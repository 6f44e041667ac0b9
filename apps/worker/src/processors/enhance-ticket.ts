import {
  type Db,
  joinAlertStorm,
  loadTenantAndClaim,
  markFailed,
  markPosted,
  markPosting,
  withTenantStatement,
} from '@ai-agents/db';
import { ServiceDeskError, type TenantClients, ticketHtmlToText, truncate } from '@ai-agents/servicedesk';
import {
  createFeedbackToken,
  type EnhanceJob,
  enhanceJobSchema,
  type Logger,
  type SecretBox,
  safeErrorMessage,
} from '@ai-agents/shared';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { timeStage, type WorkerMetrics } from '../metrics.js';
import { alertStormKey } from '../pipeline/alert-storm.js';
import type { GatheredContext } from '../pipeline/context-types.js';
import { gatherContext } from '../pipeline/gather-context.js';
import type { KnowledgeBase } from '../pipeline/knowledge-base.js';
import { type LlmStepDeps, type LlmStepResult, runLlmStep } from '../pipeline/llm-step.js';
import { findPostedNote } from '../pipeline/post-note.js';
import { renderNote } from '../pipeline/render-note.js';
import { sdpLinks } from '../pipeline/sdp-links.js';
import type { SdpRateLimit } from '../pipeline/sdp-rate-limit.js';

export interface EnhanceDeps {
  db: Db;
  sdp: TenantClients;
  logger: Logger;
  similarLimit: number;
  knowledgeBase: KnowledgeBase;
  contextTimeoutMs: number;
  llmStep: Omit<LlmStepDeps, 'db'>;
  /** Decrypts the tenant's webhook secret, which signs the note's feedback link. */
  box: SecretBox;
  publicBaseUrl: string;
  metrics?: WorkerMetrics;
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
  // Milliseconds per step, on the "note posted" line: where a slow enhancement spent its time
  // (`npm run bench` reads them too). The metric stages also get a histogram and a span.
  const stages: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      stages[name] = Math.round((performance.now() - t) * 10) / 10;
    }
  };
  const stage = <T>(name: Parameters<typeof timeStage>[1], fn: () => Promise<T>) =>
    timed(name, () => timeStage(deps.metrics, name, fn));

  const { tenant, claim } = await timed('claim', () =>
    withTenantStatement(deps.db, data.tenantId, (tx) => loadTenantAndClaim(tx, data)),
  );
  if (!tenant || !claim) throw new UnrecoverableError('Tenant no longer exists');
  if (claim.status === 'skipped') {
    log.info({ duplicateOf: claim.duplicateOf }, 'another event already handles this ticket; skipped');
    return { outcome: 'skipped', duplicateOf: claim.duplicateOf };
  }
  if (claim.status === 'posted') {
    log.info({ noteId: claim.noteId }, 'note already posted for this event; nothing to do');
    return { outcome: 'already_posted', noteId: claim.noteId };
  }

  const fail = (message: string) =>
    withTenantStatement(deps.db, tenant.id, (tx) => markFailed(tx, claim.id, message));
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
        await withTenantStatement(deps.db, tenant.id, (tx) =>
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

    const request = await stage('sdp_fetch', () => sdp.getRequest(data.requestId));
    const subject = request.subject ?? '';
    const stormKey = deps.alertStorm?.enabled ? alertStormKey(request) : null;
    const leader = stormKey
      ? await withTenantStatement(deps.db, tenant.id, (tx) =>
          joinAlertStorm(tx, {
            tenantId: tenant.id,
            enhancementId: claim.id,
            stormKey,
            windowSeconds: deps.alertStorm?.windowSeconds ?? 900,
          }),
        )
      : null;

    const links = sdpLinks(tenant);
    const feedbackToken = createFeedbackToken(
      deps.box.decrypt(tenant.webhookSecretEnc, { tenantId: tenant.id, purpose: 'webhook_secret' }),
      tenant.slug,
      claim.id,
    );
    const feedbackUrl = `${deps.publicBaseUrl}/v1/feedback?token=${encodeURIComponent(feedbackToken)}`;
    let context: GatheredContext = { similar: [], solutions: [], assets: [], unavailable: [] };
    let step: LlmStepResult | null = null;
    let html: string;
    if (leader) {
      // Alert storm: the leader's ticket has (or will have) the full investigation; no LLM call here.
      html = renderNote({
        enhancementId: claim.id,
        shape: {
          kind: 'storm_follower',
          leaderRequestId: leader.requestId,
          leaderNoteUrl: links.request(leader.requestId),
        },
        links,
        feedbackUrl,
      });
    } else {
      const fullDescription = ticketHtmlToText(request.description);
      const limit = deps.descriptionLimit ?? 4_000;
      const description = truncate(fullDescription, limit);
      context = await stage('context', () =>
        gatherContext({ requestId: data.requestId, subject, description }, tenant, sdp, {
          db: deps.db,
          knowledgeBase: deps.knowledgeBase,
          logger: log,
          similarLimit: deps.similarLimit,
          timeoutMs: deps.contextTimeoutMs,
        }),
      );
      step = await stage('llm', () =>
        runLlmStep(
          { ...deps.llmStep, db: deps.db },
          { tenant, sdp, requestId: data.requestId, subject, description, context, log },
        ),
      );
      const { outcome } = step;
      deps.metrics?.observeBudget(tenant.slug, step.budget.state);
      if (outcome.kind === 'ai') {
        deps.metrics?.observeTokens(tenant.slug, outcome.model, outcome.tokensIn, outcome.tokensOut);
        deps.metrics?.observeCost(tenant.slug, outcome.model, outcome.costUsd);
      }
      if (outcome.kind === 'fallback')
        log.warn({ reason: outcome.reason }, 'LLM unavailable; posting the context-only note');
      html = renderNote({
        enhancementId: claim.id,
        shape: {
          kind: 'enhancement',
          outcome,
          context,
          suggestionsApplied: step.suggestionsApplied,
          applied: step.applied,
          truncated:
            fullDescription.length > limit ? { total: fullDescription.length, shown: limit } : undefined,
        },
        links,
        feedbackUrl,
      });
    }

    await withTenantStatement(deps.db, tenant.id, (tx) => markPosting(tx, claim.id));
    const note = await stage('post_note', () =>
      sdp.addNote(data.requestId, { description: html, showToRequester: false }),
    );
    const latencyMs = Date.now() - started;
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
        : context.similar.map((t) => t.externalId);
    await timed('record', () =>
      withTenantStatement(deps.db, tenant.id, (tx) =>
        markPosted(
          tx,
          claim.id,
          {
            noteId: note.id,
            fallback,
            fallbackReason,
            model: ai?.model ?? null,
            tokensIn: ai?.tokensIn ?? null,
            tokensOut: ai?.tokensOut ?? null,
            latencyMs,
            costUsd: ai?.costUsd ?? null,
            promptVersion: step?.promptVersion ?? null,
            droppedCitations: ai?.droppedCitations.length ?? 0,
            language: step?.language ?? null,
            budgetState: step?.budget.state ?? null,
            suggestedCategory: ai?.note.suggested_category ?? null,
            suggestedPriority: ai?.note.suggested_priority ?? null,
            confidence: ai?.note.confidence ?? null,
            suggestionsApplied: step?.suggestionsApplied ?? false,
          },
          {
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
              budgetState: step?.budget.state ?? null,
              suggestionsApplied: step?.suggestionsApplied ?? false,
              ...(leader ? { stormOf: leader.id } : {}),
            },
          },
        ),
      ),
    );
    log.info(
      { noteId: note.id, fallback, latencyMs, similar: context.similar.length, stages, stormOf: leader?.id },
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
