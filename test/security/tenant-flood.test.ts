import { type PrivateRedis, startPrivateRedis, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, TECHNICIAN_KEY } from '../kit/stack.js';

// One tenant (contoso) floods its webhook URL with events for requests that do not exist, far faster
// than its ServiceDesk Plus budget lets the workers process them: the intake rate limit is lifted, so
// only the backlog bound stands between the flood and Redis. Redis is private and capped like the
// production one (noeviction, so a full Redis refuses every write: every tenant's webhook gets 503).

const BACKLOG_LIMIT = 200;
const FLOOD = 3_000;

let redis: PrivateRedis;
let stack: Stack;
let other: { slug: string; secret: string };

beforeAll(async () => {
  redis = await startPrivateRedis({ maxmemory: '16mb' });
  stack = await startStack({
    redisUrl: redis.url,
    env: {
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
      TENANT_BACKLOG_LIMIT: String(BACKLOG_LIMIT),
      // 20 jobs a minute per tenant (three calls each): the flood outruns it at once.
      SDP_RATE_LIMIT_PER_MINUTE: '60',
    },
  });
  const created = await stack.addTenant({
    slug: 'fabrikam',
    name: 'Fabrikam Inc',
    sdpBaseUrl: stack.sdp.url,
    technicianKey: TECHNICIAN_KEY,
  });
  other = { slug: 'fabrikam', secret: created.webhookSecret };
  await stack.startApi();
  await stack.startWorker();
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await redis?.destroy();
});

async function usedMemory(): Promise<number> {
  const info = await stack.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

describe('one tenant floods its webhook URL', () => {
  it('gets 429 with Retry-After past its backlog bound; another tenant is accepted and gets its note', async () => {
    const memoryBefore = await usedMemory();
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    let code: unknown;
    for (let i = 0; i < FLOOD; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const res = await stack.post({
            event: 'request.created',
            event_id: `flood-${i + k}`,
            request: { id: String(900_000 + i + k) },
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 429) {
            retryAfter = res.headers.get('retry-after');
            code = ((await res.json()) as { error: string }).error;
          } else await res.arrayBuffer();
        }),
      );
    }
    const accepted = statuses.get(202) ?? 0;
    // The workers finish a few while the flood runs (20 a minute): the rest stops at the bound.
    expect(accepted).toBeGreaterThanOrEqual(BACKLOG_LIMIT);
    expect(accepted).toBeLessThan(BACKLOG_LIMIT + 60);
    expect(statuses.get(429)).toBe(FLOOD - accepted);
    expect(code).toBe('backlog_full');
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // Redis holds the bounded backlog, not the flood; it never refused a write (no 503 above).
    const counts = await stack.queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'completed');
    const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(jobs).toBe(accepted);
    expect((await usedMemory()) - memoryBefore).toBeLessThan(4 * 1024 * 1024);

    // The other tenant, meanwhile: accepted, processed and noted as usual.
    const request = stack.sdp.addRequest({ subject: 'Printer on floor 3 offline' });
    const res = await stack.post(
      { event: 'request.created', event_id: 'fabrikam-1', request: { id: request.id } },
      {},
      other,
    );
    expect(res.status).toBe(202);
    await waitFor(
      () => (stack.sdp.notes(request.id).length > 0 ? true : undefined),
      30_000,
      "the other tenant's note",
    );
    expect(stack.sdp.notes(request.id)).toHaveLength(1);
  }, 120_000);

  it('keeps failed jobs by count as well as age, and takes the flooder again once its backlog drains', async () => {
    // A worker with budget to spare works off the backlog: every one of those requests is unknown to
    // ServiceDesk Plus (404), so every job fails for good and leaves the backlog.
    await stack.queue.promoteJobs();
    await stack.startWorker({ SDP_RATE_LIMIT_PER_MINUTE: '100000' });
    await waitFor(
      async () => {
        const c = await stack.queue.getJobCounts('waiting', 'delayed', 'active');
        return Object.values(c).every((n) => n === 0) ? true : undefined;
      },
      60_000,
      'the backlog to drain',
    );
    const [failed] = await stack.queue.getFailed(0, 0);
    expect(failed?.failedReason).toMatch(/404|not found/i);
    expect(failed?.opts.removeOnFail).toEqual({ age: 14 * 24 * 3600, count: 10_000 });

    const request = stack.sdp.addRequest({ subject: 'VPN drops every hour' });
    const res = await stack.post({
      event: 'request.created',
      event_id: 'after-drain',
      request: { id: request.id },
    });
    expect(res.status).toBe(202);
  }, 120_000);
});
