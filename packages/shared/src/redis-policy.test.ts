import { describe, expect, it } from 'vitest';
import { assertRedisNoEviction } from './redis-policy.js';

const redisWith = (policy: string) => ({
  info: async (section: string) =>
    section === 'memory' ? `# Memory\r\nused_memory:1024\r\nmaxmemory_policy:${policy}\r\n` : '',
});

describe('Redis eviction policy check', () => {
  it('passes silently with noeviction', async () => {
    const warnings: string[] = [];
    await assertRedisNoEviction(redisWith('noeviction'), { production: true, warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });

  it('refuses an evicting Redis in production, naming the policy', async () => {
    await expect(
      assertRedisNoEviction(redisWith('allkeys-lru'), { production: true, warn: () => {} }),
    ).rejects.toThrow('REDIS_URL: Redis must run with maxmemory-policy noeviction, it reports allkeys-lru');
  });

  it('only warns outside production', async () => {
    const warnings: string[] = [];
    await assertRedisNoEviction(redisWith('volatile-lru'), {
      production: false,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([expect.stringContaining('it reports volatile-lru')]);
  });
});
