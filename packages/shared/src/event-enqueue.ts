import { creationJobId, ENHANCE_JOB, type EventJob, eventJobId, jobKindForEvent } from './jobs.js';

/**
 * Storing an event's job on the events queue, for every producer: the API's webhook route and the
 * worker's reconcile sweep. One function decides the job id, so a ticket both bring in is one job.
 */

/**
 * The BullMQ job id (and dedupe id) of an event's job.
 * - request.created: one per (tenant, request id), whatever `event_id` the sender composed
 *   (creationJobId), so a webhook and the reconcile sweep for one ticket, or two deliveries of its
 *   creation under different event ids, are one job.
 * - request.resolved / request.closed: one per (tenant, event id), as before: a ticket resolved,
 *   reopened and resolved again is a new event each time, which its sender names.
 */
export function jobIdForEvent(job: Pick<EventJob, 'tenantId' | 'event' | 'eventId' | 'requestId'>): string {
  return jobKindForEvent(job.event) === ENHANCE_JOB
    ? creationJobId(job.tenantId, job.requestId)
    : eventJobId(job.tenantId, job.eventId);
}

// How long a stored job's id is remembered after its job was stored, whether or not the job is still
// in the queue. A day, not longer: every stored job leaves one such key, so a tenant at its rate limit
// holds rate × TTL of them (150/min for a day: about 37 MB; a week was 257 MB of a 400 MB Redis;
// `npm run capacity`). Later, the enhancements table keeps one note per request (begin_enhancement
// skips a second request.created of a request whose note is processing, posting or posted): a late
// repeat costs one job, never a second note.
export const EVENT_DEDUPE_TTL_MS = 24 * 3600_000;

/**
 * What storing a job needs of a BullMQ Queue (a Queue is one), so this package does not depend on
 * BullMQ: its name and prefix (for the dedupe key) and `add`.
 */
export interface EventQueue {
  readonly name: string;
  readonly opts: { prefix?: string };
  add(
    name: string,
    data: EventJob,
    opts: { jobId: string; deduplication: { id: string; ttl: number } },
  ): Promise<unknown>;
}

/*
 * A job is stored for an event exactly once, and the API never answers 202 without a stored job:
 *   1. the API's admission script (admitWebhook, tenant-backlog.ts) answers "duplicate" when the
 *      job's dedupe key or the job itself exists, and otherwise counts the job in its tenant's backlog;
 *   2. storeEventJob stores the job under its deterministic id with BullMQ's deduplication (throttle
 *      mode: the dedupe id with a TTL). BullMQ's addStandardJob script sets the dedupe key in the same
 *      script that stores the job, so the key exists only for a stored job, and it outlives the job:
 *      BullMQ deletes a key with a TTL only once the TTL is over
 *      (removeDeduplicationKeyIfNeededOnFinalization; docs.bullmq.io/guide/jobs/deduplication).
 * A Redis failure in either step rejects, and the route answers 503. Two producers racing past step 1
 * at once (two deliveries, or a delivery and the sweep) both store: BullMQ keeps the first job and
 * ignores the second add (the id, or the dedupe key, exists), so there is still one job.
 */

/** The key BullMQ's deduplication keeps for a job (`<prefix>:<queue>:de:<job id>`). */
export function eventDedupeKey(queue: Pick<EventQueue, 'name' | 'opts'>, jobId: string): string {
  return `${queue.opts.prefix ?? 'bull'}:${queue.name}:de:${jobId}`;
}

/** The hash BullMQ keeps a job in while the job is kept (`<prefix>:<queue>:<job id>`). */
export function eventJobKey(queue: Pick<EventQueue, 'name' | 'opts'>, jobId: string): string {
  return `${queue.opts.prefix ?? 'bull'}:${queue.name}:${jobId}`;
}

/**
 * Stores the job of an event under jobIdForEvent(job), with BullMQ's deduplication; returns that id.
 * A job already stored (or stored within EVENT_DEDUPE_TTL_MS) makes this a no-op.
 */
export async function storeEventJob(queue: EventQueue, job: EventJob): Promise<string> {
  const opts = eventJobOptions(job);
  await queue.add(jobKindForEvent(job.event), job, opts);
  return opts.jobId;
}

/** The BullMQ options of an event's job, for every producer (the API, the reconcile sweep). */
export function eventJobOptions(job: Pick<EventJob, 'tenantId' | 'event' | 'eventId' | 'requestId'>) {
  const jobId = jobIdForEvent(job);
  return { jobId, deduplication: { id: jobId, ttl: EVENT_DEDUPE_TTL_MS } };
}
