/**
 * BullMQ keeps jobs as ordinary Redis keys: a Redis that evicts keys under memory pressure silently
 * drops queued events (each one a ticket that never gets its note). Only `noeviction` is safe.
 */

/** The part of an ioredis client this check uses. */
export interface RedisInfoSource {
  info(section: string): Promise<string>;
}

/** Reads maxmemory-policy from INFO (unlike CONFIG GET, managed Redis services allow INFO). */
export async function readMaxmemoryPolicy(redis: RedisInfoSource): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** Refuses to start in production when Redis may evict keys; warns elsewhere. */
export async function assertRedisNoEviction(
  redis: RedisInfoSource,
  options: { production: boolean; warn: (message: string) => void },
): Promise<void> {
  const policy = await readMaxmemoryPolicy(redis);
  if (policy === 'noeviction') return;
  const message = `REDIS_URL: Redis must run with maxmemory-policy noeviction, it reports ${policy ?? 'no policy'}; evicted keys are lost webhook events`;
  if (options.production) throw new Error(message);
  options.warn(`${message} (allowed outside production only)`);
}
