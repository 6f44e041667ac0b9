import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The contract between the API (producer) and the worker (processor). Both sides use this schema,
 * so a payload the worker cannot understand is rejected at the source. Payloads carry ids only:
 * no ticket text and no secrets are stored in Redis.
 */

/**
 * The one queue every ServiceDesk Plus event's job travels on, whatever its kind (the job's name says
 * which). Its name stays "enhance", the first kind it carried: installed queues' Redis keys hold it.
 */
export const EVENTS_QUEUE = 'enhance';

/** The events each job kind is made from (JOB_KINDS below adds their payload schemas). */
const EVENTS_OF_KIND = {
  /** An investigation note: at most one per request, whatever the event id. */
  'enhance-ticket': ['request.created'],
  /** The ticket joins the tenant's resolved-ticket history. */
  'ingest-history': ['request.resolved', 'request.closed'],
  /**
   * The reconcile sweep (reconcile-jobs.ts): made by a BullMQ job scheduler and by the operator, never
   * by a webhook, so these kinds add no webhook event. A tick fans out one tenant sweep per active
   * tenant of a single portal and one connection sweep per MSP connection with an active tenant.
   */
  'reconcile-tick': [],
  'reconcile-tenant': [],
  'reconcile-connection': [],
  /** Retention (retention.ts): made once a day by a BullMQ job scheduler, never by a webhook. */
  'retention-sweep': [],
} as const;

/**
 * Every event name the product handles; the API refuses others (422). Any other name used to become
 * an enhancement, and each new name passed the duplicate check, so one ticket could collect a note
 * (and an LLM call) per invented event name.
 */
export const WEBHOOK_EVENTS: readonly string[] = Object.values(EVENTS_OF_KIND).flat();

/**
 * W3C trace context of the webhook request, so the job's spans continue the webhook's trace. Optional:
 * absent when tracing is off, and jobs queued by older versions have none.
 */
export const traceCarrierSchema = z.object({
  traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
  tracestate: z.string().max(512).optional(),
});

export type TraceCarrier = z.infer<typeof traceCarrierSchema>;

export const eventJobSchema = z.object({
  tenantId: z.uuid(),
  eventId: z.string().min(1).max(200),
  event: z
    .string()
    .refine((e) => WEBHOOK_EVENTS.includes(e), { message: 'is not an event this service handles' }),
  // A ServiceDesk Plus request id: digits only, so it can be placed in an API path as it is.
  requestId: z.string().regex(/^\d{1,20}$/, 'must be a ServiceDesk Plus request id (digits)'),
  receivedAt: z.number().int().positive(),
  trace: traceCarrierSchema.optional(),
});

export type EventJob = z.infer<typeof eventJobSchema>;

/** A reconcile tick carries nothing: it reads the active tenants when it runs. */
export const reconcileTickSchema = z.object({});

export const reconcileTenantSchema = z.object({
  tenantId: z.uuid(),
  /**
   * Epoch ms: sweep the requests created after this moment instead of after the tenant's cursor minus
   * the overlap (`tenant reconcile <slug> --since`). Absent for the scheduled sweep.
   */
  since: z.number().int().nonnegative().optional(),
});

export type ReconcileTenantJob = z.infer<typeof reconcileTenantSchema>;

/**
 * An MSP connection's scheduled sweep: one list per interval for all its accounts, each request routed
 * to the tenant of its account (apps/worker/src/processors/reconcile-connection.ts).
 */
export const reconcileConnectionSchema = z.object({ connectionId: z.uuid() });

export type ReconcileConnectionJob = z.infer<typeof reconcileConnectionSchema>;

/** The daily retention job carries nothing: it reads every tenant's policy when it runs. */
export const retentionSweepSchema = z.object({});

/**
 * Every job kind in one place: its name, the events that produce it and its payload's schema. The
 * API names a job by its event (jobKindForEvent); the worker's processor map is typed over this
 * registry (apps/worker/src/processors/index.ts), so a kind without a processor does not compile.
 */
export const JOB_KINDS = {
  'enhance-ticket': { events: EVENTS_OF_KIND['enhance-ticket'], payload: eventJobSchema },
  'ingest-history': { events: EVENTS_OF_KIND['ingest-history'], payload: eventJobSchema },
  'reconcile-tick': { events: EVENTS_OF_KIND['reconcile-tick'], payload: reconcileTickSchema },
  'reconcile-tenant': { events: EVENTS_OF_KIND['reconcile-tenant'], payload: reconcileTenantSchema },
  'reconcile-connection': {
    events: EVENTS_OF_KIND['reconcile-connection'],
    payload: reconcileConnectionSchema,
  },
  'retention-sweep': { events: EVENTS_OF_KIND['retention-sweep'], payload: retentionSweepSchema },
} as const satisfies Record<keyof typeof EVENTS_OF_KIND, { events: readonly string[]; payload: z.ZodType }>;

export type JobKind = keyof typeof JOB_KINDS;
export type JobPayload<K extends JobKind> = z.infer<(typeof JOB_KINDS)[K]['payload']>;

export const ENHANCE_JOB = 'enhance-ticket' satisfies JobKind;
export const HISTORY_JOB = 'ingest-history' satisfies JobKind;
export const RECONCILE_TICK_JOB = 'reconcile-tick' satisfies JobKind;
export const RECONCILE_TENANT_JOB = 'reconcile-tenant' satisfies JobKind;
export const RECONCILE_CONNECTION_JOB = 'reconcile-connection' satisfies JobKind;
export const RETENTION_JOB = 'retention-sweep' satisfies JobKind;

/** The job kind a webhook event (one of WEBHOOK_EVENTS) becomes. */
export function jobKindForEvent(event: string): JobKind {
  for (const kind of Object.keys(JOB_KINDS) as JobKind[])
    if ((JOB_KINDS[kind].events as readonly string[]).includes(event)) return kind;
  throw new Error(`No job kind handles the event ${event}`);
}

/**
 * BullMQ job id for an event: deterministic, so a redelivered webhook maps to the same job, and free
 * of ':' (which BullMQ reserves in custom ids).
 */
export function eventJobId(tenantId: string, eventId: string): string {
  return `ev-${createHash('sha256').update(`${tenantId}\n${eventId}`).digest('hex').slice(0, 40)}`;
}

/**
 * BullMQ job id of a request's investigation (request.created): one per (tenant, request id), whatever
 * event id the sender composed, so a ticket that both a webhook and the reconcile sweep bring in is
 * one job (and, through the enhancements table, one note).
 */
export function creationJobId(tenantId: string, requestId: string): string {
  return `cr-${createHash('sha256').update(`${tenantId}\n${requestId}`).digest('hex').slice(0, 40)}`;
}

/** Event id used when the sender gives none: the same ticket event always derives the same id. */
export function deriveEventId(tenantId: string, event: string, requestId: string): string {
  return `derived-${createHash('sha256').update(`${tenantId}\n${event}\n${requestId}`).digest('hex').slice(0, 32)}`;
}

/**
 * Producer-side defaults for every job on the events queue (BullMQ JobsOptions). The worker computes the actual
 * delay (exponential from `delay`, capped at a minute, or the upstream's Retry-After when longer).
 */
export const EVENT_JOB_OPTIONS = {
  // 8 attempts with capped exponential delays ride out about 3 minutes of ServiceDesk Plus, LLM or
  // Postgres trouble before the event is marked failed and left for an operator to retry.
  attempts: 8,
  backoff: { type: 'upstream-aware', delay: 2_000 },
  // Completed jobs are only kept for inspection; duplicates are caught by BullMQ's dedupe key (kept a
  // day whatever the retention, event-enqueue.ts) and the enhancements table.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  // Failed jobs stay two weeks so operators can see and retry them, and at most 10,000 (~20 MB): a
  // tenant whose webhooks name requests that do not exist fails a job per event, and without a count
  // those filled Redis (the enhancements table keeps every failure and its reason regardless).
  removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
} as const;
