import { randomUUID } from 'node:crypto';
import { TEST_REDIS_URL } from '@ai-agents/sandbox';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBudgetOf, createSdpRateLimit } from './sdp-rate-limit.js';

// The ServiceDesk Plus budget belongs to the connection (issue 25): the tenants of one MSP instance
// draw from one bucket in Redis, at the connection's own rate when it has one.

const prefix = `test-${randomUUID()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('the ServiceDesk Plus budget per connection', () => {
  it("is shared by a connection's tenants, at its rate, and apart from another connection's", async () => {
    const msp = randomUUID();
    const connectionOf: Record<string, { connectionId: string; perMinute: number | null }> = {
      a: { connectionId: msp, perMinute: 6 },
      b: { connectionId: msp, perMinute: 6 },
      own: { connectionId: randomUUID(), perMinute: null },
    };
    let loads = 0;
    const limit = createSdpRateLimit({
      redis,
      prefix,
      perMinute: 600,
      budgetOf: cachedBudgetOf(async (tenantId) => {
        loads++;
        return connectionOf[tenantId] ?? null;
      }),
    });
    expect(await limit.reserve('a', 4)).toBe(0);
    // Tenant b finds the two calls tenant a left, then waits: one bucket of 6 a minute.
    expect(await limit.reserve('b', 2)).toBe(0);
    expect(await limit.reserve('b', 1)).toBeGreaterThan(5_000);
    // Another connection (the installation's default rate) is untouched.
    expect(await limit.reserve('own', 100)).toBe(0);
    expect(await redis.exists(`${prefix}:ratelimit:sdp:${msp}`)).toBe(1);
    // Looked up once per tenant, then cached.
    await limit.reserve('a', 0);
    expect(loads).toBe(3);
  });
});
