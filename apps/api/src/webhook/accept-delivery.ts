import type { IncomingHttpHeaders } from 'node:http';
import {
  admitWebhook,
  currentTraceCarrier,
  deriveEventId,
  type EventJob,
  eventDedupeKey,
  eventJobKey,
  jobIdForEvent,
  storeEventJob,
  tenantBacklogKey,
} from '@ai-agents/shared';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { HttpError, unauthorized } from '../errors.js';
import { authenticateDelivery } from './authenticate.js';
import { parseWebhookBody, readWebhookEvent } from './payload.js';
import type { TenantAuth, WebhookCredentials } from './tenant-auth.js';

export interface DeliveryDeps {
  queue: Queue;
  redis: Redis | Cluster;
  tenantAuth: TenantAuth;
  toleranceSeconds: number;
  /** Installation default of accepted webhooks per tenant per minute. */
  rateLimitPerMinute: number;
  /** Unfinished jobs a tenant may have queued (see tenant-backlog.ts). */
  backlogLimit: number;
}

export interface Delivery {
  slug: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
}

/**
 * What became of one delivery. `tenantLabel` is the slug once it is known to name a tenant (a
 * metric label bounded by the tenant count), otherwise null.
 */
export type DeliveryOutcome = { tenantLabel: string | null } & (
  | {
      kind: 'accepted';
      eventId: string;
      jobId: string;
      duplicate: boolean;
      auth: 'signature' | 'token';
    }
  | { kind: 'rejected'; reason: string; error: HttpError }
);

/**
 * One webhook delivery, as the README's sketch draws it: find the tenant, authenticate the bytes,
 * read the event, admit it (rate limit, duplicate, backlog), store its job. Never a 202 without a
 * stored job: every Redis or Postgres failure is a rejection. A sender that retries comes back after
 * Retry-After; ServiceDesk Plus's Deluge function does not retry, and the reconcile sweep queues the
 * tickets whose webhook was refused or never arrived (docs/webhook-and-deluge.md).
 */
export async function acceptDelivery(
  deps: DeliveryDeps,
  delivery: Delivery,
  log: FastifyBaseLogger,
): Promise<DeliveryOutcome> {
  const found = await findTenant(deps, delivery, log);
  if (!found.ok) return { tenantLabel: null, ...found.rejection };
  const tenant = found.tenant;
  const tenantLabel = tenant ? delivery.slug : null;
  const verdict = authenticateDelivery({
    headers: delivery.headers,
    rawBody: delivery.rawBody,
    // An unknown slug is verified against a decoy secret: the same HMAC, so no timing difference.
    tenant: tenant ?? deps.tenantAuth.decoy,
    toleranceSeconds: deps.toleranceSeconds,
  });
  if (!tenant?.active || !verdict.ok) {
    const reason = !tenant
      ? 'unknown_tenant'
      : !tenant.active
        ? 'disabled_tenant'
        : !verdict.ok
          ? verdict.reason
          : 'mismatch';
    log.info({ tenant: delivery.slug, reason }, 'webhook rejected');
    return { tenantLabel, ...rejected(reason, unauthorized()) };
  }

  const read = readJob(tenant, delivery.rawBody);
  if (!read.ok) return { tenantLabel, ...read.rejection };

  const queued = await admitAndStore(deps, tenant, read, delivery.slug, log);
  if (!queued.ok) return { tenantLabel, ...queued.rejection };
  return {
    tenantLabel,
    kind: 'accepted',
    eventId: read.job.eventId,
    jobId: read.jobId,
    duplicate: queued.duplicate,
    auth: verdict.mode,
  };
}

/** The tenant's admission (rate limit, duplicate, backlog), then the job stored unless a duplicate. */
export async function admitAndStore(
  deps: DeliveryDeps,
  tenant: Pick<WebhookCredentials, 'tenantId' | 'rateLimitPerMinute'>,
  read: { job: EventJob; jobId: string },
  slug: string,
  log: FastifyBaseLogger,
): Promise<Step<{ duplicate: boolean }>> {
  const admitted = await admit(deps, tenant, read.jobId, slug, log);
  if (!admitted.ok || admitted.duplicate) return admitted;
  try {
    await storeEventJob(deps.queue, read.job);
  } catch (error) {
    log.error({ err: error, tenant: slug }, 'could not store the job in Redis');
    return { ok: false, rejection: rejected('queue_unavailable', queueUnavailable()) };
  }
  return admitted;
}

export type Rejection = { kind: 'rejected'; reason: string; error: HttpError };
export type Step<T> = ({ ok: true } & T) | { ok: false; rejection: Rejection };

export const rejected = (reason: string, error: HttpError): Rejection => ({
  kind: 'rejected',
  reason,
  error,
});

async function findTenant(
  deps: DeliveryDeps,
  delivery: Delivery,
  log: FastifyBaseLogger,
): Promise<Step<{ tenant: WebhookCredentials | null }>> {
  try {
    return { ok: true, tenant: await deps.tenantAuth.lookup(delivery.slug) };
  } catch (error) {
    // Postgres is away: the sender should retry, exactly as when Redis is.
    log.error({ err: error, tenant: delivery.slug }, 'tenant lookup failed (Postgres)');
    return {
      ok: false,
      rejection: rejected(
        'database_unavailable',
        serviceUnavailable('database_unavailable', 'The service cannot take the event now; retry later'),
      ),
    };
  }
}

/**
 * The authenticated body as the job to store: ids only, no ticket text. Its id is jobIdForEvent's:
 * one job per (tenant, request id) for request.created, per (tenant, event id) for the others.
 */
export function readJob(tenant: Pick<WebhookCredentials, 'tenantId'>, rawBody: Buffer) {
  const parsed = readBody(rawBody);
  return parsed.ok ? jobFor(tenant.tenantId, parsed.body) : parsed;
}

/** The authenticated bytes as JSON (ids kept exactly, see parseWebhookBody). */
export function readBody(rawBody: Buffer): Step<{ body: unknown }> {
  try {
    return { ok: true, body: parseWebhookBody(rawBody.toString('utf8')) };
  } catch {
    return {
      ok: false,
      rejection: rejected('malformed_json', new HttpError(400, 'malformed_json', 'Body is not valid JSON')),
    };
  }
}

/** The event of a parsed body as the tenant's job. */
export function jobFor(tenantId: string, body: unknown): Step<{ job: EventJob; jobId: string }> {
  let event: ReturnType<typeof readWebhookEvent>;
  try {
    event = readWebhookEvent(body);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { ok: false, rejection: rejected('invalid_payload', error) };
  }
  const trace = currentTraceCarrier();
  const job: EventJob = {
    tenantId,
    event: event.event,
    eventId: event.eventId ?? deriveEventId(tenantId, event.event, event.requestId),
    requestId: event.requestId,
    receivedAt: Date.now(),
    ...(trace ? { trace } : {}),
  };
  return { ok: true, job, jobId: jobIdForEvent(job) };
}

/**
 * The rate limit is counted per tenant after authentication: forged or unsigned floods at a client's
 * URL cannot use up that client's quota and lock its real tickets out; they stop at the signature
 * check. The duplicate check and the tenant's backlog bound go in the same script
 * (tenant-backlog.ts), and storing the job is the one command after it (event-enqueue.ts, in
 * @ai-agents/shared).
 */
export async function admit(
  deps: DeliveryDeps,
  tenant: Pick<WebhookCredentials, 'tenantId' | 'rateLimitPerMinute'>,
  jobId: string,
  slug: string,
  log: FastifyBaseLogger,
): Promise<Step<{ duplicate: boolean }>> {
  const prefix = deps.queue.opts.prefix ?? 'bull';
  let admission: Awaited<ReturnType<typeof admitWebhook>>;
  try {
    admission = await admitWebhook(
      deps.redis,
      {
        bucketKey: `${prefix}:ratelimit:webhook:${tenant.tenantId}`,
        dedupeKey: eventDedupeKey(deps.queue, jobId),
        backlogKey: tenantBacklogKey(prefix, deps.queue.name, tenant.tenantId),
        jobKey: eventJobKey(deps.queue, jobId),
      },
      { perMinute: tenant.rateLimitPerMinute ?? deps.rateLimitPerMinute, backlogLimit: deps.backlogLimit },
      jobId,
    );
  } catch (error) {
    log.error({ err: error, tenant: slug }, 'could not reach Redis');
    return { ok: false, rejection: rejected('queue_unavailable', queueUnavailable()) };
  }
  if (admission.backlogFull) {
    log.warn({ tenant: slug }, 'tenant backlog full');
    const error = new HttpError(
      429,
      'backlog_full',
      'Too many unprocessed events for this tenant; retry later',
      // Long enough for the workers to work off a part of it at the tenant's ServiceDesk Plus pace.
      { 'retry-after': '30' },
    );
    return { ok: false, rejection: rejected('backlog_full', error) };
  }
  if (admission.waitMs > 0) {
    log.warn({ tenant: slug }, 'webhook rate limit reached');
    const error = new HttpError(429, 'rate_limited', 'Too many webhooks for this tenant; retry later', {
      'retry-after': String(Math.max(1, Math.ceil(admission.waitMs / 1000))),
    });
    return { ok: false, rejection: rejected('rate_limited', error) };
  }
  return { ok: true, duplicate: admission.duplicate };
}

export function serviceUnavailable(code: string, message: string): HttpError {
  return new HttpError(503, code, message, { 'retry-after': '5' });
}

export const queueUnavailable = () =>
  serviceUnavailable('queue_unavailable', 'The queue cannot take the event now; retry later');
