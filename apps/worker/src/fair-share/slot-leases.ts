import { type RedisEval, redisScript } from '@ai-agents/shared';

// A tenant's running jobs are leases in one sorted set per tenant (member: job id, score: when the
// lease lapses), so a worker that dies without releasing costs its tenant the slot only until the
// lease lapses; a stalled job that BullMQ hands to another worker keeps its own lease (same id).
//
// Over its share, a tenant still gets the slot when no other tenant's job waits. "Waits" is read
// from BullMQ's own wait list, which producers LPUSH and workers take from the right with RPOPLPUSH
// (bullmq/src/commands/addStandardJob-9.lua, moveToActive-11.lua; a job's payload is the `data`
// field of the hash <prefix>:<queue>:<id>). The scan is bounded: a wait list longer than `scan`
// counts as contended, so a flood is capped at once and its excess goes to the delayed set, which
// empties the wait list until the other tenants' jobs are reached. Every key shares the queue prefix,
// so in cluster mode (a hash-tagged prefix) they sit in one slot, as BullMQ's own scripts need.
const ACQUIRE = redisScript(`
local leases, wait = KEYS[1], KEYS[2]
local now, ttl, share = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local member, tenant, jobPrefix, scan = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local function grant()
  redis.call('ZADD', leases, now + ttl, member)
  redis.call('PEXPIRE', leases, ttl)
  return 1
end
if redis.call('ZSCORE', leases, member) then return grant() end
if redis.call('ZCARD', leases) < share then return grant() end
if scan <= 0 then return 0 end
if redis.call('LLEN', wait) > scan then return 0 end
for _, id in ipairs(redis.call('LRANGE', wait, 0, -1)) do
  local data = redis.call('HGET', jobPrefix .. id, 'data')
  if data then
    local ok, job = pcall(cjson.decode, data)
    if ok and type(job) == 'table' and job.tenantId ~= tenant then return 0 end
  end
end
return grant()
`);

// XX: a lease already released (the job finished) is not brought back.
const RENEW = redisScript(`
redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`);

export interface SlotLeasesOptions {
  redis: RedisEval & { zrem(key: string, member: string): Promise<unknown> };
  /** The queue's key prefix (`<prefix>:<queue>`), under which BullMQ keeps its lists and jobs. */
  queueKey: string;
  /** `slots` (jobs) or `llm` (LLM calls): one lease set of each per tenant. */
  kind: 'slots' | 'llm';
  leaseMs: number;
}

/** Per-tenant leases on a limited resource, shared by every worker through Redis. */
export function createSlotLeases(options: SlotLeasesOptions) {
  const key = (tenantId: string) => `${options.queueKey}:fair:${options.kind}:${tenantId}`;
  return {
    /**
     * True when `holder` (a job id) may go: under `share`, or over it while no other tenant's job
     * waits (`scanWaiting` > 0: at most that many waiting jobs are read; 0: `share` is a hard cap).
     */
    async acquire(tenantId: string, holder: string, share: number, scanWaiting: number): Promise<boolean> {
      const granted = await ACQUIRE(
        options.redis,
        [key(tenantId), `${options.queueKey}:wait`],
        [Date.now(), options.leaseMs, share, holder, tenantId, `${options.queueKey}:`, scanWaiting],
      );
      return Number(granted) === 1;
    },
    async renew(tenantId: string, holder: string): Promise<void> {
      await RENEW(options.redis, [key(tenantId)], [Date.now() + options.leaseMs, holder, options.leaseMs]);
    },
    async release(tenantId: string, holder: string): Promise<void> {
      await options.redis.zrem(key(tenantId), holder);
    },
  };
}

export type SlotLeases = ReturnType<typeof createSlotLeases>;
