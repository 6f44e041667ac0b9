import { TEST_REDIS_URL, type TestDatabase, testQueuePrefix } from '@ai-agents/sandbox';
import { EVENTS_QUEUE, RECONCILE_TENANT_JOB } from '@ai-agents/shared';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant, admin, adminQueueDatabase } from './support/run-admin.js';

const prefix = testQueuePrefix();
let testDb: TestDatabase;
let redis: Redis;
let queue: Queue;

beforeAll(async () => {
  testDb = await adminQueueDatabase(prefix);
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(EVENTS_QUEUE, { connection: redis, prefix });
  for (const slug of ['northwind', 'paused'])
    expect((await addTenant({ slug, sdpUrl: `https://sdp.${slug}.example` })).code).toBe(0);
  expect((await admin('tenant', 'disable', 'paused')).code).toBe(0);
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => {});
  await queue?.close();
  redis?.disconnect();
  await testDb?.drop();
});

describe('admin tenant reconcile', () => {
  it('queues one sweep of the tenant from --since, and says so', async () => {
    const { code, out } = await admin('tenant', 'reconcile', 'northwind', '--since', '2025-01-31T08:00Z');
    expect(code).toBe(0);
    expect(out).toContain('Sweep of northwind queued: requests created since 2025-01-31T08:00:00.000Z');
    const sweeps = (await queue.getWaiting()).filter((j) => j.name === RECONCILE_TENANT_JOB);
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]?.data.since).toBe(Date.parse('2025-01-31T08:00Z'));
  });

  it('does not queue a second operator sweep of the tenant while one waits', async () => {
    const { code, out } = await admin('--json', 'tenant', 'reconcile', 'northwind', '--since', '2025-02-01');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ slug: 'northwind', queued: false });
    expect((await queue.getWaiting()).filter((j) => j.name === RECONCILE_TENANT_JOB)).toHaveLength(1);
  });

  it('names the problem: a bad or future time (exit 2), an unknown or disabled tenant (exit 1)', async () => {
    expect(await admin('tenant', 'reconcile', 'northwind', '--since', 'last tuesday')).toMatchObject({
      code: 2,
      err: 'error: --since must be a date (e.g. 2025-01-31), got "last tuesday"\n',
    });
    const future = await admin('tenant', 'reconcile', 'northwind', '--since', '2999-01-01');
    expect(future).toMatchObject({ code: 2, err: expect.stringContaining('--since is in the future') });
    expect(await admin('tenant', 'reconcile', 'nobody', '--since', '2025-01-31')).toMatchObject({
      code: 1,
      err: 'error: no tenant with slug "nobody"\n',
    });
    const paused = await admin('tenant', 'reconcile', 'paused', '--since', '2025-01-31');
    expect(paused).toMatchObject({ code: 1, err: expect.stringContaining('tenant "paused" is disabled') });
    expect((await queue.getWaiting()).filter((j) => j.name === RECONCILE_TENANT_JOB)).toHaveLength(1);
  });
});
