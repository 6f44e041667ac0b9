import type { JobKind, Logger } from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import { DelayedError, type Job } from 'bullmq';
import { SDP_CALLS_UP_FRONT, type SdpRateLimit } from '../pipeline/sdp-rate-limit.js';
import { createSlotLeases, type SlotLeases } from './slot-leases.js';
import { type BreakerState, createTenantBreaker, portalVerdict } from './tenant-breaker.js';

export interface FairShareOptions {
  redis: RedisClient;
  /** The queue's key prefix, `<prefix>:<queue>`. */
  queueKey: string;
  shareSlots: number;
  llmInFlight: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  /** How long a lease outlives its last renewal (a dead worker's slot comes back after it). */
  leaseMs: number;
  sdpRateLimit?: SdpRateLimit;
  /** The tenant's breaker state, for the metric (the slug is read from the database there). */
  onBreakerState?: (tenantId: string, state: BreakerState) => void;
  logger: Logger;
}

// A waiting list longer than this is taken as contended without reading it (see slot-leases.ts).
const SCAN_WAITING = 100;
// An over-share job comes back after 0.5 s, then 1, 2, 4 s (±20 %): soon enough to use a slot that
// frees up, without cycling a flood of thousands through the worker several times a second.
const OVER_SHARE_BASE_MS = 500;
const OVER_SHARE_MAX_MS = 4_000;
// How often an LLM call over its tenant's cap looks again, and how long it may wait in all.
const LLM_POLL_MS = 250;
const LLM_MAX_WAIT_MS = 10 * 60_000;

const jitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));

/**
 * Puts the job back in the delayed set until `at`, without using an attempt: BullMQ's manual delay
 * (docs.bullmq.io, "Process step jobs", "Delaying": moveToDelayed with the lock token, then throw
 * DelayedError so the worker neither completes nor fails the job).
 */
async function defer(job: Job, token: string | undefined, at: number): Promise<never> {
  if (!token) throw new Error('Job deferred by fair share without a lock token');
  await job.moveToDelayed(at, token);
  throw delayedError();
}

/**
 * BullMQ only tells a DelayedError by its class; its stack, captured through the worker's and
 * ioredis' frames, was 0.8 % of the worker's CPU when a flood of one tenant was deferred
 * (npm run bench -- --only=pipeline --cpu-prof, `DelayedError` in the profile). Built without one.
 */
function delayedError(): DelayedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new DelayedError();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** How long an over-share job waits: longer each time it was turned away (starts not counted as attempts). */
function overShareDelay(job: Job): number {
  const turnedAway = Math.max(0, (job.attemptsStarted ?? 0) - job.attemptsMade - 1);
  return jitter(Math.min(OVER_SHARE_MAX_MS, OVER_SHARE_BASE_MS * 2 ** Math.min(turnedAway, 3)));
}

/** Runs `fn` with the lease held: renewed three times per lease time, released at the end. */
async function whileHeld<T>(
  leases: SlotLeases,
  tenantId: string,
  holder: string,
  leaseMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const renewal = setInterval(() => {
    leases.renew(tenantId, holder).catch(() => {});
  }, leaseMs / 3);
  try {
    return await fn();
  } finally {
    clearInterval(renewal);
    await leases.release(tenantId, holder).catch(() => {});
  }
}

/**
 * Fair share: the one mechanism that decides whether a job of any kind runs now. In order: its
 * tenant's circuit breaker (open: delayed until the cool-down ends), its tenant's share of the slots
 * (over it while another tenant's job waits: delayed), its tenant's ServiceDesk Plus budget (the kind's
 * up-front calls; short: delayed). A delayed job holds no slot and uses no attempt. Then the job runs
 * with its slot leased (renewed while it runs) and its further SDP calls metered, and its end is
 * recorded on the breaker.
 */
export function createFairShare(options: FairShareOptions) {
  const { redis, queueKey, leaseMs } = options;
  const slots = createSlotLeases({ redis, queueKey, kind: 'slots', leaseMs });
  const llm = createSlotLeases({ redis, queueKey, kind: 'llm', leaseMs });
  const breaker = createTenantBreaker({
    redis,
    queueKey,
    failures: options.breakerFailures,
    cooldownMs: options.breakerCooldownMs,
    probeMs: leaseMs,
  });
  const observe = (tenantId: string, state: BreakerState) => options.onBreakerState?.(tenantId, state);

  async function admit(job: Job, token: string | undefined, kind: JobKind, tenantId: string, holder: string) {
    const answer = await breaker.admit(tenantId, holder);
    observe(tenantId, answer.state);
    if (answer.retryAt !== undefined) await defer(job, token, answer.retryAt + jitter(1_000));
    if (!(await slots.acquire(tenantId, holder, options.shareSlots, SCAN_WAITING)))
      await deferReleasing(job, token, tenantId, holder, Date.now() + overShareDelay(job));
    const waitMs = (await options.sdpRateLimit?.reserve(tenantId, SDP_CALLS_UP_FRONT[kind])) ?? 0;
    if (waitMs > 0) {
      options.logger.info(
        { jobId: job.id, waitMs },
        'tenant ServiceDesk Plus budget used up; delaying the job',
      );
      await slots.release(tenantId, holder);
      await deferReleasing(job, token, tenantId, holder, Date.now() + waitMs);
    }
  }

  /** Defers a job that may hold the half-open probe: the probe goes to another job. */
  async function deferReleasing(
    job: Job,
    token: string | undefined,
    tenantId: string,
    holder: string,
    at: number,
  ) {
    await breaker.record(tenantId, holder, 'neutral');
    return defer(job, token, at);
  }

  return {
    /** Runs `work` for `job` when its tenant's breaker, share and budget allow; otherwise delays the job. */
    async run<T>(job: Job, token: string | undefined, kind: JobKind, work: () => Promise<T>): Promise<T> {
      const tenantId = (job.data as { tenantId?: unknown } | undefined)?.tenantId;
      if (typeof tenantId !== 'string' || !job.id) return work();
      const holder = job.id;
      await admit(job, token, kind, tenantId, holder);
      return whileHeld(slots, tenantId, holder, leaseMs, async () => {
        try {
          const reserved = SDP_CALLS_UP_FRONT[kind];
          const result = await (options.sdpRateLimit?.metered(tenantId, reserved, work) ?? work());
          observe(tenantId, (await breaker.record(tenantId, holder, 'ok')).state);
          return result;
        } catch (error) {
          const recorded = await breaker.record(tenantId, holder, portalVerdict(error)).catch(() => null);
          if (recorded) observe(tenantId, recorded.state);
          throw error;
        }
      });
    },

    /** Runs one LLM call of the tenant once fewer than its cap are in flight (waits, holding its slot). */
    async withLlmSlot<T>(tenantId: string, holder: string, call: () => Promise<T>): Promise<T> {
      const deadline = Date.now() + LLM_MAX_WAIT_MS;
      while (!(await llm.acquire(tenantId, holder, options.llmInFlight, 0))) {
        if (Date.now() > deadline) throw new Error('Waited too long for an LLM slot of the tenant');
        await new Promise((resolve) => setTimeout(resolve, jitter(LLM_POLL_MS)));
      }
      return whileHeld(llm, tenantId, holder, leaseMs, call);
    },
  };
}

export type FairShare = ReturnType<typeof createFairShare>;
