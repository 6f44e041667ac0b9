import {
  type Db,
  type EnhancementClaim,
  joinAlertStorm,
  loadTenantAndClaim,
  markFailed,
  markPosted,
  type TenantRow,
} from '@ai-agents/db';
import type { Retrieval } from '@ai-agents/retrieval';
import {
  type SdpRequest,
  type ServiceDeskClient,
  type TenantClients,
  ticketBodyText,
  truncate,
} from '@ai-agents/servicedesk';
import {
  createFeedbackToken,
  type EventJob,
  type Logger,
  type SecretBox,
  safeErrorMessage,
} from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { FairShare } from '../fair-share/fair-share.js';
import { type StageClock, stageClock, type WorkerMetrics } from '../metrics.js';
import { accountMismatch, auditAccountMismatch } from '../pipeline/account-check.js';
import { alertStormKey } from '../pipeline/alert-storm.js';
import type { GatheredContext } from '../pipeline/context-types.js';
import { gatherContext } from '../pipeline/gather-context.js';
import type { KnowledgeBase } from '../pipeline/knowledge-base.js';
import { type LlmStepDeps, type LlmStepResult, runLlmStep } from '../pipeline/llm-step.js';
import { findPostedNote, type NoteToPost, type PostingRun, postAndRecord } from '../pipeline/post-note.js';
import { renderNote } from '../pipeline/render-note.js';
import { sdpLinks } from '../pipeline/sdp-links.js';
import { type SkippedByRule, skipByRules } from '../pipeline/ticket-rules.js';
import type { SweepQueue } from '../reconcile/queue-missed.js';
import { readJobPayload, withFinalSdpRefusals } from './job-errors.js';
import type { RetentionSettings } from './retention-sweep.js';

export interface EnhanceDeps {
  db: Db;
  sdp: TenantClients;
  logger: Logger;
  similarLimit: number;
  /** Similar tickets by words and meaning (packages/retrieval); without it, BM25 alone. */
  retrieval?: Retrieval;
  knowledgeBase: KnowledgeBase;
  contextTimeoutMs: number;
  llmStep: Omit<LlmStepDeps, 'db'>;
  /** Decrypts the tenant's webhook secret, which signs the note's feedback link. */
  box: SecretBox;
  publicBaseUrl: string;
  metrics?: WorkerMetrics;
  /**
   * Fair share (slots, LLM cap, breaker, SDP budget) across the workers; start.ts runs every job
   * through it. None: unlimited (processor tests).
   */
  fairShare?: FairShare;
  alertStorm?: { enabled: boolean; windowSeconds: number };
  /** Descriptions longer than this are cut before the LLM (and the note says so). */
  descriptionLimit?: number;
  /** The events queue the reconcile sweep queues into (reconcile-*.ts); the worker sets it. */
  sweepQueue?: SweepQueue;
  /** The installation's retention defaults for the daily retention job (retention-sweep.ts). */
  retention?: RetentionSettings;
}

export type EnhanceResult =
  | { outcome: 'posted'; noteId: string; fallback: boolean; citations: string[]; stormOf?: string }
  | { outcome: 'already_posted'; noteId: string | null }
  | { outcome: 'skipped'; duplicateOf: string | null }
  /** MSP: the fetched request is another account's than the tenant's; nothing posted, audited. */
  | { outcome: 'account_mismatch'; requestAccount: string | null }
  | SkippedByRule;

/** One job's state as it goes through the steps. */
interface Enhancement extends PostingRun {
  job: Job;
}

/**
 * request.created → one internal note on the ticket, in the steps of the README's sketch: claim the
 * event (Postgres), fetch the request (SDP), apply the tenant's rules (a skipped ticket ends here),
 * gather context (similar resolved tickets under RLS, the knowledge base, assets), ask the LLM,
 * render, post the note (SDP), record it (Postgres). No database transaction stays open across an
 * HTTP call.
 */
export async function processEnhanceTicket(job: Job, deps: EnhanceDeps): Promise<EnhanceResult> {
  const data = readJobPayload(job);
  const log = deps.logger.child({
    jobId: job.id,
    tenantId: data.tenantId,
    eventId: data.eventId,
    requestId: data.requestId,
  });
  const started = Date.now();
  const clock = stageClock(deps.metrics);
  const claimed = await claimEvent(deps, data, log, clock);
  if ('done' in claimed) return claimed.done;
  const run: Enhancement = { job, data, ...claimed, log, clock, started };

  const fail = (message: string) =>
    markFailed({ db: deps.db, tenantId: run.tenant.id }, run.claim.id, message);
  try {
    return await withFinalSdpRefusals(
      log,
      async () => {
        const sdp = deps.sdp.forTenant(run.tenant);
        const resumed = await resumeIfPosting(deps, run, sdp);
        if (resumed) return resumed;
        const request = await clock.stage('sdp_fetch', () => sdp.getRequest(data.requestId));
        const foreign = await refuseForeignRequest(deps, run, request);
        if (foreign) return foreign;
        const skipped = await skipByRules(deps, run, request);
        if (skipped) return skipped;
        const note = await buildNote(deps, run, sdp, request);
        const posted = await postAndRecord(deps, run, sdp, note);
        return { outcome: 'posted', ...posted };
      },
      fail,
    );
  } catch (error) {
    if (!(error instanceof UnrecoverableError) && job.attemptsMade + 1 >= (job.opts.attempts ?? 1))
      await fail(`${safeErrorMessage(error)} (after ${job.attemptsMade + 1} attempts)`);
    throw error;
  }
}

/**
 * The event's row in `enhancements`, with its tenant, in one statement. An event another event of the
 * same ticket already handles, or one already posted, ends here; so does a disabled tenant's.
 */
async function claimEvent(
  deps: EnhanceDeps,
  data: EventJob,
  log: Logger,
  clock: StageClock,
): Promise<{ done: EnhanceResult } | { tenant: TenantRow; claim: EnhancementClaim }> {
  const { tenant, claim } = await clock.timed('claim', () =>
    loadTenantAndClaim({ db: deps.db, tenantId: data.tenantId }, data),
  );
  if (!tenant || !claim) throw new UnrecoverableError('Tenant no longer exists');
  if (claim.status === 'skipped') {
    // Without duplicate_of, the tenant's rules skipped it on an earlier attempt (skipped_by).
    log.info(
      { duplicateOf: claim.duplicateOf },
      claim.duplicateOf
        ? 'another event already handles this ticket; skipped'
        : "skipped by the tenant's rules",
    );
    return { done: { outcome: 'skipped', duplicateOf: claim.duplicateOf } };
  }
  if (claim.status === 'posted') {
    log.info({ noteId: claim.noteId }, 'note already posted for this event; nothing to do');
    return { done: { outcome: 'already_posted', noteId: claim.noteId } };
  }
  if (tenant.status !== 'active') {
    await markFailed({ db: deps.db, tenantId: tenant.id }, claim.id, 'Tenant is disabled');
    throw new UnrecoverableError('Tenant is disabled');
  }
  return { tenant, claim };
}

/**
 * MSP: the account of the fetched request is the truth. A request of another account posts nothing;
 * the enhancement is marked failed with the two account ids (no ticket text), audited, and the job
 * completes: retrying would fetch the same account again.
 */
async function refuseForeignRequest(
  deps: EnhanceDeps,
  run: Enhancement,
  request: SdpRequest,
): Promise<EnhanceResult | null> {
  const mismatch = accountMismatch(run.tenant, request);
  if (!mismatch) return null;
  const { data, tenant, claim, log } = run;
  await markFailed(
    { db: deps.db, tenantId: tenant.id },
    claim.id,
    `The request belongs to account ${mismatch.found ?? '(none)'}, not to the tenant's account ${mismatch.expected ?? '(none)'}: nothing posted`,
  );
  const entry = { requestId: data.requestId, eventId: data.eventId, jobKind: run.job.name, mismatch };
  await auditAccountMismatch(deps, tenant, entry, log);
  return { outcome: 'account_mismatch', requestAccount: mismatch.found };
}

/** A previous attempt stopped after it started posting: the note may already be on the ticket. */
async function resumeIfPosting(
  deps: EnhanceDeps,
  run: Enhancement,
  sdp: ServiceDeskClient,
): Promise<EnhanceResult | null> {
  if (run.claim.status !== 'posting') return null;
  const noteId = await findPostedNote(sdp, run.data.requestId, run.claim.id);
  if (!noteId) return null;
  await markPosted({ db: deps.db, tenantId: run.tenant.id }, run.claim.id, {
    noteId,
    fallback: false,
    model: null,
    tokensIn: null,
    tokensOut: null,
    latencyMs: Date.now() - run.started,
  });
  run.log.info({ noteId }, 'found the note a previous attempt posted; recorded it');
  return { outcome: 'already_posted', noteId };
}

/**
 * The note's HTML. A ticket of an alert storm whose first ticket is being (or was) investigated gets a
 * short note pointing there, with no LLM call; every other ticket gets the full enhancement.
 */
async function buildNote(
  deps: EnhanceDeps,
  run: Enhancement,
  sdp: ServiceDeskClient,
  request: SdpRequest,
): Promise<NoteToPost> {
  const { tenant, claim } = run;
  const stormKey = deps.alertStorm?.enabled ? alertStormKey(request) : null;
  const leader = stormKey
    ? await joinAlertStorm(
        { db: deps.db, tenantId: tenant.id },
        { enhancementId: claim.id, stormKey, windowSeconds: deps.alertStorm?.windowSeconds ?? 900 },
      )
    : null;
  const links = sdpLinks(tenant.connection);
  const feedbackToken = createFeedbackToken(
    deps.box.decrypt(tenant.webhookSecretEnc, { tenantId: tenant.id, purpose: 'webhook_secret' }),
    tenant.slug,
    claim.id,
  );
  const feedbackUrl = `${deps.publicBaseUrl}/v1/feedback?token=${encodeURIComponent(feedbackToken)}`;
  if (leader) {
    const html = renderNote({
      enhancementId: claim.id,
      shape: {
        kind: 'storm_follower',
        leaderRequestId: leader.requestId,
        leaderNoteUrl: links.request(leader.requestId),
      },
      links,
      feedbackUrl,
    });
    return { html, context: null, step: null, stormOf: leader.id };
  }
  return enhancementNote(deps, run, sdp, request, (shape) =>
    renderNote({ enhancementId: claim.id, shape, links, feedbackUrl }),
  );
}

/** The full enhancement: context, the LLM's note (or the context-only fallback), rendered. */
async function enhancementNote(
  deps: EnhanceDeps,
  run: Enhancement,
  sdp: ServiceDeskClient,
  request: SdpRequest,
  render: (shape: Parameters<typeof renderNote>[0]['shape']) => string,
): Promise<NoteToPost> {
  const { tenant, data, log, clock } = run;
  const subject = request.subject ?? '';
  // Without signature, quoted replies and disclaimers: they are not the problem, for search or LLM.
  const fullDescription = ticketBodyText(request.description);
  const limit = deps.descriptionLimit ?? 4_000;
  const description = truncate(fullDescription, limit);
  const context: GatheredContext = await clock.stage('context', () =>
    gatherContext({ requestId: data.requestId, subject, description }, tenant, sdp, {
      db: deps.db,
      knowledgeBase: deps.knowledgeBase,
      logger: log,
      similarLimit: deps.similarLimit,
      ...(deps.retrieval && { retrieval: deps.retrieval }),
      timeoutMs: deps.contextTimeoutMs,
    }),
  );
  const llmStep = () =>
    runLlmStep(
      { ...deps.llmStep, db: deps.db },
      { tenant, sdp, requestId: data.requestId, subject, description, context, log },
    );
  // At most the tenant's cap of LLM calls in flight, across all workers.
  const step: LlmStepResult = await clock.stage('llm', () =>
    deps.fairShare ? deps.fairShare.withLlmSlot(tenant.id, String(run.job.id), llmStep) : llmStep(),
  );
  const { outcome } = step;
  deps.metrics?.observeBudget(tenant.slug, step.budget.state);
  if (outcome.kind === 'ai') {
    deps.metrics?.observeTokens(tenant.slug, outcome.model, outcome.tokensIn, outcome.tokensOut);
    deps.metrics?.observeCost(tenant.slug, outcome.model, outcome.costUsd);
  }
  if (outcome.kind === 'fallback')
    log.warn({ reason: outcome.reason }, 'LLM unavailable; posting the context-only note');
  const html = render({
    kind: 'enhancement',
    outcome,
    context,
    suggestionsApplied: step.suggestionsApplied,
    applied: step.applied,
    truncated: fullDescription.length > limit ? { total: fullDescription.length, shown: limit } : undefined,
  });
  return { html, context, step, stormOf: null };
}
