import { createHash } from 'node:crypto';

/**
 * A token bucket kept in Redis, so a limit holds across every API replica or worker process.
 * Refill is computed from Redis' own clock (TIME), so processes with skewed clocks agree.
 * Returns 0 when the tokens were taken, otherwise how many ms until they would be (nothing is taken).
 */
const SCRIPT = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local wait = 0
if tokens >= wanted then tokens = tokens - wanted else wait = math.ceil((wanted - tokens) / per_ms) end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', key, math.ceil(capacity / per_ms) + 1000)
return wait
`;

// Redis caches scripts by SHA1: the webhook hot path sends the 40-character digest (EVALSHA) instead
// of the whole script with every request, and falls back to EVAL (which caches it) after a restart or
// SCRIPT FLUSH. What ioredis' defineCommand does, without this package depending on ioredis.
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** The ioredis methods the bucket needs; keeps this package free of a Redis client dependency. */
export interface RedisEval {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface TokenBucketLimit {
  /** Tokens refilled per minute; also the bucket's size, so up to a minute's worth may come at once. */
  perMinute: number;
}

export async function takeTokens(
  redis: RedisEval,
  key: string,
  limit: TokenBucketLimit,
  wanted = 1,
): Promise<number> {
  const capacity = Math.max(limit.perMinute, wanted);
  const args = [key, capacity, limit.perMinute / 60_000, wanted];
  let wait: unknown;
  try {
    wait = await redis.evalsha(SCRIPT_SHA, 1, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    wait = await redis.eval(SCRIPT, 1, ...args);
  }
  return Number(wait);
}
