import {
  bucketArgs,
  type RedisEval,
  redisScript,
  TAKE_TOKENS,
  type TokenBucketLimit,
} from './token-bucket.js';

/**
 * Each tenant's backlog: the jobs it has in the queue that are not finished yet (waiting, delayed,
 * active), as a sorted set of job ids scored by when they were stored. The API adds a job id when it
 * stores the job and refuses the tenant's new events while the set is full; the worker removes the id
 * when the job completes or fails for good. So a tenant that sends faster than its ServiceDesk Plus
 * budget lets the workers process (webhooks for ids that do not exist, a script gone wild) fills its
 * own backlog and gets 429s, instead of filling Redis until every tenant gets 503.
 */
export function tenantBacklogKey(prefix: string, queueName: string, tenantId: string): string {
  return `${prefix}:${queueName}:backlog:${tenantId}`;
}

/**
 * An id older than this is dropped from the count even if no worker removed it (a worker killed
 * between finishing a job and removing its id). Far longer than a full backlog takes to drain (1,000
 * jobs at 150 a minute: 7 minutes) or a job's own retries (8 attempts, about 3 minutes), so only such
 * leftovers expire; while workers are down for longer, a tenant can add one more backlog every 6 hours.
 */
export const BACKLOG_STALE_MS = 6 * 3600_000;

// The rate limit, the duplicate check and the backlog bound in one command, which also counts a
// new event in its tenant's backlog: the route then stores the job with one more command (queue.add),
// two round trips per accepted webhook in all (npm run bench -- --only=intake).
// - A duplicate (its dedupe key exists: BullMQ sets it in the same script that stores the job; or the
//   job itself is still kept, finished or not, after its dedupe key's day) takes a token as any
//   delivery does and is answered whatever the backlog. Checking the job too matters for
//   request.created, one job per request: a later request.created of a request whose job is still
//   kept (failed jobs stay 14 days) would otherwise be counted in the backlog for a job BullMQ does
//   not store again (the add of an existing id is ignored): nothing would release it before it
//   expires (BACKLOG_STALE_MS).
// - A new event over the bound takes no token. One already counted (a retry after a 503) is not over
//   the bound because of itself.
// - A new event within its limits is counted before its job is stored. If storing then fails, the
//   sender is answered 503 and retries; the count is a set member, so the retry counts it once, and a
//   sender that never retries leaves a member that expires after BACKLOG_STALE_MS. The bound errs
//   towards refusing, never towards a job it did not count.
const ADMIT = redisScript(`${TAKE_TOKENS}
local duplicate = math.min(redis.call('EXISTS', KEYS[2], KEYS[4]), 1)
local limit = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if duplicate == 0 and limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[5]))
  if redis.call('ZCARD', KEYS[3]) >= limit and not redis.call('ZSCORE', KEYS[3], ARGV[6]) then
    return {0, 0, 1}
  end
end
local wait = take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
if duplicate == 0 and wait == 0 then
  redis.call('ZADD', KEYS[3], 'NX', now, ARGV[6])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[5]))
end
return {wait, duplicate, 0}`);

export interface Admission {
  /** > 0: the rate limit is reached; retry after this many ms. Nothing was counted. */
  waitMs: number;
  /** The job was stored before (BullMQ's dedupe key for it exists, or the job itself). */
  duplicate: boolean;
  /** The tenant's backlog is full: nothing was taken or counted. */
  backlogFull: boolean;
}

/**
 * One webhook's admission: rate limit (`bucketKey`), duplicate (`dedupeKey`, `jobKey`: the job's hash
 * in BullMQ), backlog (`backlogKey`, where a new event is counted as `jobId`).
 */
export async function admitWebhook(
  redis: RedisEval,
  keys: { bucketKey: string; dedupeKey: string; backlogKey: string; jobKey: string },
  limits: TokenBucketLimit & { backlogLimit: number },
  jobId: string,
): Promise<Admission> {
  const [wait, exists, full] = (await ADMIT(
    redis,
    [keys.bucketKey, keys.dedupeKey, keys.backlogKey, keys.jobKey],
    [...bucketArgs(limits, 1), limits.backlogLimit, BACKLOG_STALE_MS, jobId],
  )) as [number, number, number];
  return { waitMs: Number(wait), duplicate: exists === 1, backlogFull: full === 1 };
}
