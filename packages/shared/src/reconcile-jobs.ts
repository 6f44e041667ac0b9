import { createHash } from 'node:crypto';
import { eventJobOptions } from './event-enqueue.js';
import {
  deriveEventId,
  ENHANCE_JOB,
  type EventJob,
  RECONCILE_CONNECTION_JOB,
  RECONCILE_TENANT_JOB,
  RECONCILE_TICK_JOB,
  type ReconcileConnectionJob,
  type ReconcileTenantJob,
} from './jobs.js';

/**
 * The reconcile sweep's jobs, as plain descriptions (name, data, BullMQ options) that the worker and
 * the operator CLI both hand to `queue.add`, so neither composes ids or options of its own.
 */

/** The BullMQ job scheduler that makes a reconcile tick every RECONCILE_INTERVAL_SECONDS. */
export const RECONCILE_SCHEDULER_ID = 'reconcile-sweep';

/**
 * The scheduler's job template. A tick only fans out (one Postgres query, one add per tenant): one
 * attempt, and the next tick is the retry. Kept an hour for inspection, at most 100 of each.
 */
export const RECONCILE_TICK_TEMPLATE = {
  name: RECONCILE_TICK_JOB,
  data: {},
  opts: {
    attempts: 1,
    removeOnComplete: { age: 3600, count: 100 },
    removeOnFail: { age: 24 * 3600, count: 100 },
  },
} as const;

export interface QueuedJobSpec<D> {
  name: string;
  data: D;
  opts: {
    jobId: string;
    deduplication?: { id: string; ttl?: number };
    attempts?: number;
    removeOnComplete?: { age: number; count: number };
    removeOnFail?: { age: number; count: number };
  };
}

function hashed(prefix: string, ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 40)}`;
}

/**
 * One tenant's sweep. A scheduled sweep is deduplicated per tenant until it finishes (BullMQ's simple
 * deduplication mode: no TTL, the key goes when the job completes or fails), so however many ticks or
 * worker pods there are, a tenant has one scheduled sweep waiting or running at a time; a slow portal
 * makes ticks skip it, never pile up. An operator's sweep (`since` given) has its own key, so it is
 * never swallowed by a scheduled one. The job id is per tick (`at`), so finished sweeps stay
 * inspectable without blocking the next (at most 1,000 kept: the Redis they take stays bounded with
 * many tenants). One attempt: a failed sweep leaves the cursor where its last page put it, and the
 * next tick is its retry.
 */
export function tenantSweepJob(job: ReconcileTenantJob, at: number): QueuedJobSpec<ReconcileTenantJob> {
  const kind = job.since === undefined ? 'scheduled' : 'operator';
  return {
    name: RECONCILE_TENANT_JOB,
    data: job,
    opts: {
      jobId: hashed('rc', job.tenantId, kind, String(at)),
      deduplication: { id: hashed('rcd', job.tenantId, kind) },
      attempts: 1,
      removeOnComplete: { age: 24 * 3600, count: 1_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 1_000 },
    },
  };
}

/**
 * One MSP connection's scheduled sweep (all its accounts in one list), deduplicated per connection
 * until it finishes exactly as a tenant's scheduled sweep is (tenantSweepJob): however many ticks or
 * workers, one connection sweep waiting or running at a time.
 */
export function connectionSweepJob(
  job: ReconcileConnectionJob,
  at: number,
): QueuedJobSpec<ReconcileConnectionJob> {
  return {
    name: RECONCILE_CONNECTION_JOB,
    data: job,
    opts: {
      jobId: hashed('rcc', job.connectionId, String(at)),
      deduplication: { id: hashed('rccd', job.connectionId) },
      attempts: 1,
      removeOnComplete: { age: 24 * 3600, count: 1_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 1_000 },
    },
  };
}

/**
 * The request.created investigation the sweep queues for a request no webhook brought: the same job
 * id and deduplication id as the API's (creationJobId), so a webhook and the sweep make one job, and
 * the event id a sender without one would get (deriveEventId), so a later webhook without its own
 * event id is the same enhancement row.
 */
export function sweptCreationJob(tenantId: string, requestId: string, now: number): QueuedJobSpec<EventJob> {
  const data: EventJob = {
    tenantId,
    eventId: deriveEventId(tenantId, 'request.created', requestId),
    event: 'request.created',
    requestId,
    receivedAt: now,
  };
  return { name: ENHANCE_JOB, data, opts: eventJobOptions(data) };
}
