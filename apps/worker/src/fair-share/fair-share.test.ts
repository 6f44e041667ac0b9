import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_REDIS_URL } from '@ai-agents/sandbox';
import { ServiceDeskError } from '@ai-agents/servicedesk';
import { createLogger } from '@ai-agents/shared';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createFairShare } from './fair-share.js';
import { createSlotLeases } from './slot-leases.js';
import { createTenantBreaker, portalVerdict } from './tenant-breaker.js';

const redis = new Redis(TEST_REDIS_URL);
afterAll(async () => {
  await redis.quit();
});

/** A queue key of its own, and a way to put jobs of a tenant in its wait list as BullMQ does. */
function queue() {
  const queueKey = `test-${randomUUID()}:events`;
  return {
    queueKey,
    async waiting(tenantId: string, id: string) {
      await redis.hset(`${queueKey}:${id}`, 'data', JSON.stringify({ tenantId, eventId: id }));
      await redis.lpush(`${queueKey}:wait`, id);
      // Nothing of a test stays in the shared Redis.
      await redis.expire(`${queueKey}:${id}`, 60);
      await redis.expire(`${queueKey}:wait`, 60);
    },
  };
}

describe('per-tenant slot leases', () => {
  it("caps a tenant at its share while another tenant's job waits, and lets it use more alone", async () => {
    const q = queue();
    const slots = createSlotLeases({ redis, queueKey: q.queueKey, kind: 'slots', leaseMs: 60_000 });
    expect(await slots.acquire('a', 'j1', 2, 100)).toBe(true);
    expect(await slots.acquire('a', 'j2', 2, 100)).toBe(true);
    // Nobody else waits (only a's own jobs): a may take a third slot.
    await q.waiting('a', 'j9');
    expect(await slots.acquire('a', 'j3', 2, 100)).toBe(true);
    // b's job waits: a is over its share and gets no fourth; b gets its own.
    await q.waiting('b', 'k1');
    expect(await slots.acquire('a', 'j4', 2, 100)).toBe(false);
    expect(await slots.acquire('b', 'k1', 2, 100)).toBe(true);
    // A slot a finishes is free again; a job that holds a lease keeps it (a stalled job run again).
    await slots.release('a', 'j1');
    await slots.release('a', 'j2');
    expect(await slots.acquire('a', 'j4', 2, 100)).toBe(true);
    expect(await slots.acquire('a', 'j3', 2, 100)).toBe(true);
  });

  it('counts a wait list longer than it reads as contended, and a hard cap ignores waiting jobs', async () => {
    const q = queue();
    const slots = createSlotLeases({ redis, queueKey: q.queueKey, kind: 'llm', leaseMs: 60_000 });
    for (let i = 0; i < 5; i++) await q.waiting('a', `w${i}`);
    expect(await slots.acquire('a', 'j1', 1, 3)).toBe(true);
    expect(await slots.acquire('a', 'j2', 1, 3)).toBe(false);
    expect(await slots.acquire('a', 'j2', 1, 10)).toBe(true);
    expect(await slots.acquire('a', 'j3', 2, 0)).toBe(false);
  });

  it("gives a dead worker's slot back once its lease lapses, and keeps a renewed one", async () => {
    const q = queue();
    const slots = createSlotLeases({ redis, queueKey: q.queueKey, kind: 'slots', leaseMs: 300 });
    await q.waiting('b', 'k1');
    expect(await slots.acquire('a', 'dead', 1, 100)).toBe(true);
    expect(await slots.acquire('a', 'next', 1, 100)).toBe(false);
    await sleep(400);
    expect(await slots.acquire('a', 'next', 1, 100)).toBe(true);
    await sleep(200);
    await slots.renew('a', 'next');
    await sleep(200);
    expect(await slots.acquire('a', 'other', 1, 100)).toBe(false);
  });
});

describe('per-tenant circuit breaker', () => {
  const breaker = (queueKey: string) =>
    createTenantBreaker({ redis, queueKey, failures: 3, cooldownMs: 300, probeMs: 5_000 });

  // The breaker's key expires on its own (at least ten minutes after the last fault).
  it('opens after repeated portal faults, lets one job probe after the cool-down, and closes when it succeeds', async () => {
    const b = breaker(queue().queueKey);
    await b.record('t', 'j1', 'fault');
    await b.record('t', 'j2', 'fault');
    // A portal answer between faults resets the count: only faults in a row open it.
    await b.record('t', 'j3', 'ok');
    await b.record('t', 'j4', 'fault');
    await b.record('t', 'j5', 'fault');
    expect((await b.admit('t', 'j6')).state).toBe('closed');
    expect((await b.record('t', 'j6', 'fault')).state).toBe('open');
    const open = await b.admit('t', 'j7');
    expect(open.state).toBe('open');
    expect(open.retryAt).toBeGreaterThan(Date.now());
    expect((await b.admit('other-tenant', 'x')).state).toBe('closed');

    await sleep(350);
    expect(await b.admit('t', 'probe')).toEqual({ state: 'half_open' });
    const waiting = await b.admit('t', 'j8');
    expect(waiting.state).toBe('half_open');
    expect(waiting.retryAt).toBeGreaterThan(Date.now());
    await b.record('t', 'probe', 'ok');
    expect(await b.admit('t', 'j8')).toEqual({ state: 'closed' });
  });

  it('opens again when the probe fails, and hands the probe on when it ends for another reason', async () => {
    const b = breaker(queue().queueKey);
    for (const j of ['j1', 'j2', 'j3']) await b.record('t', j, 'fault');
    await sleep(350);
    expect((await b.admit('t', 'p1')).retryAt).toBeUndefined();
    expect((await b.record('t', 'p1', 'fault')).state).toBe('open');
    await sleep(350);
    expect((await b.admit('t', 'p2')).retryAt).toBeUndefined();
    // p2 ends for a reason that says nothing about the portal (the LLM, a delay): p3 may probe.
    await b.record('t', 'p2', 'neutral');
    expect(await b.admit('t', 'p3')).toEqual({ state: 'half_open' });
  });

  it("takes timeouts, connection failures and 5xx for the portal's faults, any other answer for a sign of life", () => {
    expect(portalVerdict(new ServiceDeskError('GET request timed out', { kind: 'timeout' }))).toBe('fault');
    expect(portalVerdict(new ServiceDeskError('refused', { kind: 'network' }))).toBe('fault');
    expect(portalVerdict(new ServiceDeskError('503', { kind: 'server', httpStatus: 503 }))).toBe('fault');
    expect(portalVerdict(new ServiceDeskError('404', { kind: 'not_found', httpStatus: 404 }))).toBe('ok');
    expect(portalVerdict(new Error('LLM timed out'))).toBe('neutral');
  });
});

describe("a tenant's LLM calls in flight", () => {
  it('never runs more than the cap at once across callers, and another tenant is not held by it', async () => {
    const fair = createFairShare({
      redis,
      queueKey: queue().queueKey,
      shareSlots: 4,
      llmInFlight: 2,
      breakerFailures: 5,
      breakerCooldownMs: 30_000,
      leaseMs: 10_000,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    const running = new Map<string, number>();
    let most = 0;
    const call = (tenant: string) => async () => {
      running.set(tenant, (running.get(tenant) ?? 0) + 1);
      most = Math.max(most, running.get('a') ?? 0);
      await sleep(150);
      running.set(tenant, (running.get(tenant) ?? 0) - 1);
    };
    const started = Date.now();
    let otherDone = 0;
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => fair.withLlmSlot('a', `j${i}`, call('a'))),
      fair.withLlmSlot('b', 'k1', call('b')).then(() => {
        otherDone = Date.now() - started;
      }),
    ]);
    const capped = Date.now() - started;
    expect(most).toBe(2);
    // Six calls two at a time take three rounds; the other tenant's one call is done in the first.
    expect(otherDone).toBeLessThan(capped / 2);
  });
});
