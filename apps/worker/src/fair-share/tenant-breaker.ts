import { ServiceDeskError } from '@ai-agents/servicedesk';
import { type RedisEval, redisScript } from '@ai-agents/shared';

// One hash per tenant: consecutive portal faults, until when the breaker is open, and the job that
// probes once the cool-down is over (half-open). A closed breaker with no recent fault has no key.
// ARGV: op, now, job id, failures that open it, cool-down ms, how long a probe may take.
// Answers {state, until}: state 0 closed, 1 half-open (this job probes, or another job does: then
// `until` is when to look again, within 5 s, so the others follow soon after a probe that succeeds),
// 2 open until `until`.
const BREAKER = redisScript(`
local key, op, now, member = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
local threshold, cooldown, probeTtl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local openUntil = tonumber(redis.call('HGET', key, 'open_until') or '0')
local probe = redis.call('HGET', key, 'probe')
local probeUntil = tonumber(redis.call('HGET', key, 'probe_until') or '0')
if op == 'admit' then
  if openUntil == 0 then return {0, 0} end
  if now < openUntil then return {2, openUntil} end
  if probe and probe ~= member and probeUntil > now then return {1, math.min(probeUntil, now + 5000)} end
  redis.call('HSET', key, 'probe', member, 'probe_until', now + probeTtl)
  return {1, 0}
end
if op == 'ok' then
  redis.call('DEL', key)
  return {0, 0}
end
if op == 'fault' then
  local failures = redis.call('HINCRBY', key, 'failures', 1)
  redis.call('PEXPIRE', key, math.max(cooldown * 4, 600000))
  if probe == member or failures >= threshold then
    redis.call('HSET', key, 'open_until', now + cooldown)
    redis.call('HDEL', key, 'probe', 'probe_until')
    return {2, now + cooldown}
  end
  if openUntil > 0 then return {1, 0} end
  return {0, 0}
end
if probe == member then redis.call('HDEL', key, 'probe', 'probe_until') end
if openUntil > 0 then return {1, 0} end
return {0, 0}
`);

export type BreakerState = 'closed' | 'half_open' | 'open';
const STATES: readonly BreakerState[] = ['closed', 'half_open', 'open'];

/** How a job's end counts for its tenant's breaker. */
export type PortalVerdict = 'ok' | 'fault' | 'neutral';

/**
 * A timeout, a connection failure or a 5xx of the tenant's portal is a fault; any other answer of the
 * portal (even a refusal) shows it is up. Errors that are not the portal's (the LLM, Postgres) say
 * nothing about it.
 */
export function portalVerdict(error: unknown): PortalVerdict {
  const cause = error instanceof ServiceDeskError ? error : (error as { cause?: unknown })?.cause;
  if (!(cause instanceof ServiceDeskError)) return 'neutral';
  return cause.kind === 'timeout' || cause.kind === 'network' || cause.kind === 'server' ? 'fault' : 'ok';
}

export interface TenantBreakerOptions {
  redis: RedisEval;
  /** The queue's key prefix (`<prefix>:<queue>`). */
  queueKey: string;
  failures: number;
  cooldownMs: number;
  /** How long a probing job may run before another job may probe (its worker may have died). */
  probeMs: number;
}

export interface BreakerAnswer {
  state: BreakerState;
  /** Set when the job must not run now: when to try again (epoch ms). */
  retryAt?: number;
}

/** A per-tenant circuit breaker on its ServiceDesk Plus portal, shared by every worker through Redis. */
export function createTenantBreaker(options: TenantBreakerOptions) {
  const call = async (op: string, tenantId: string, holder: string): Promise<BreakerAnswer> => {
    const now = Date.now();
    const [state, until] = (await BREAKER(
      options.redis,
      [`${options.queueKey}:fair:breaker:${tenantId}`],
      [op, now, holder, options.failures, options.cooldownMs, options.probeMs],
    )) as [number, number];
    return {
      state: STATES[state] ?? 'closed',
      ...(op === 'admit' && until > 0 ? { retryAt: Number(until) } : {}),
    };
  };
  return {
    /** Closed, or half-open with this job as the probe: run it. Otherwise `retryAt` says when to look again. */
    admit: (tenantId: string, holder: string) => call('admit', tenantId, holder),
    /** The job's end: closes the breaker (ok), counts a fault, or frees the probe (neutral). */
    record: (tenantId: string, holder: string, verdict: PortalVerdict) => call(verdict, tenantId, holder),
  };
}

export type TenantBreaker = ReturnType<typeof createTenantBreaker>;
