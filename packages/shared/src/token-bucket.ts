import { createHash } from 'node:crypto';

/**
 * A token bucket kept in Redis, so a limit holds across every API replica or worker process.
 * Refill is computed from Redis' own clock (TIME), so processes with skewed clocks agree.
 * take_tokens returns 0 when the tokens were taken, otherwise how many ms until they would be
 * (nothing is taken).
 */
/** The Lua of take_tokens(), for scripts that combine the bucket with other checks. */
export const TAKE_TOKENS = `
local function take_tokens(key, capacity, per_ms, wanted)
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
end
`;

const TAKE = redisScript(`${TAKE_TOKENS}
return take_tokens(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))`);

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
  return Number(await TAKE(redis, [key], bucketArgs(limit, wanted)));
}

/** ARGV for take_tokens(): capacity, refill per ms, tokens wanted. */
export function bucketArgs(limit: TokenBucketLimit, wanted: number): number[] {
  return [Math.max(limit.perMinute, wanted), limit.perMinute / 60_000, wanted];
}

/**
 * Redis caches scripts by SHA1: a hot path sends the 40-character digest (EVALSHA) instead of the
 * whole script every time, and falls back to EVAL (which caches it) after a restart or SCRIPT FLUSH.
 * What ioredis' defineCommand does, without this package depending on ioredis.
 */
export function redisScript(script: string) {
  const sha = createHash('sha1').update(script).digest('hex');
  return async (redis: RedisEval, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return redis.eval(script, keys.length, ...keys, ...args);
    }
  };
}
