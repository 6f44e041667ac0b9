import { describe, expect, it } from 'vitest';
import { takeTokens } from './token-bucket.js';

/** Redis' script cache as far as the bucket sees it: EVALSHA knows only scripts EVAL has sent. */
function scriptCache() {
  const cached = new Set<string>();
  const calls: string[] = [];
  return {
    calls,
    flush: () => cached.clear(),
    async eval(script: string) {
      calls.push('eval');
      const { createHash } = await import('node:crypto');
      cached.add(createHash('sha1').update(script).digest('hex'));
      return 0;
    },
    async evalsha(sha: string) {
      calls.push('evalsha');
      if (!cached.has(sha)) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      return 1234;
    },
  };
}

describe('token bucket script calls', () => {
  it('sends the script once, then only its digest, and again after Redis forgot it', async () => {
    const redis = scriptCache();
    expect(await takeTokens(redis, 'k', { perMinute: 60 })).toBe(0);
    expect(await takeTokens(redis, 'k', { perMinute: 60 })).toBe(1234);
    redis.flush();
    await takeTokens(redis, 'k', { perMinute: 60 });
    expect(redis.calls).toEqual(['evalsha', 'eval', 'evalsha', 'evalsha', 'eval']);
  });

  it('passes other Redis errors on', async () => {
    const redis = {
      eval: async () => 0,
      evalsha: async () => {
        throw new Error('Connection is closed.');
      },
    };
    await expect(takeTokens(redis, 'k', { perMinute: 60 })).rejects.toThrow('Connection is closed.');
  });
});
