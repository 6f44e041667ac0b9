import { type EventJob, jobKindForEvent } from '@ai-agents/shared';
import type { Queue } from 'bullmq';

// How long a delivered event id is remembered after its job was stored, whether or not the job is
// still in the queue. ServiceDesk Plus and Deluge retries arrive within minutes. A day, not longer:
// every accepted event leaves one such key, so a tenant at its rate limit holds rate × TTL of them
// (150/min for a day: about 37 MB; a week was 257 MB of a 400 MB Redis; `npm run capacity`). A later
// re-send is still caught by the enhancements table, which is unique per (tenant, event id): it
// costs one job, never a second note.
const DEDUPE_TTL_MS = 24 * 3600_000;

/*
 * A job is stored for an event exactly once, and never a 202 without a stored job:
 *   1. the route's admission script (admitWebhook) answers "duplicate" when the event's dedupe key
 *      exists, and otherwise counts the event in its tenant's backlog;
 *   2. queue.add stores the job under a deterministic id with BullMQ's deduplication (throttle mode:
 *      the dedupe id with a TTL). BullMQ's addStandardJob script sets the dedupe key in the same
 *      script that stores the job, so the key exists only for a stored job, and it outlives the job:
 *      BullMQ deletes a key with a TTL only once the TTL is over
 *      (removeDeduplicationKeyIfNeededOnFinalization; docs.bullmq.io/guide/jobs/deduplication).
 * A Redis failure in either step rejects, and the route answers 503; the sender's retry finds the
 * job stored (a duplicate) or stores it now. Two deliveries of one event racing past step 1 at once
 * both get 202 without `duplicate`: BullMQ keeps the first job and ignores the second add (the id
 * exists), so there is still one job.
 */

/** The key BullMQ's deduplication keeps for an event's job (`<prefix>:<queue>:de:<id>`). */
export function dedupeKey(queue: Queue, jobId: string): string {
  return `${queue.opts.prefix ?? 'bull'}:${queue.name}:de:${jobId}`;
}

/** Step 2, for an event that step 1 admitted as new. */
export async function storeJob(queue: Queue, job: EventJob, jobId: string): Promise<void> {
  await queue.add(jobKindForEvent(job.event), job, {
    jobId,
    deduplication: { id: jobId, ttl: DEDUPE_TTL_MS },
  });
}
