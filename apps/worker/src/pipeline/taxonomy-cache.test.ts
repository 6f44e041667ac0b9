import type { ServiceDeskClient } from '@ai-agents/servicedesk';
import { describe, expect, it } from 'vitest';
import { createTaxonomyCache } from './taxonomy-cache.js';

function portal(fail = false) {
  const counter = { calls: 0 };
  const client = {
    async listCategories() {
      counter.calls++;
      if (fail) throw new Error('403');
      return [{ id: '1', name: 'Email' }];
    },
    async listPriorities() {
      return [{ id: '2', name: 'High' }];
    },
  } as unknown as ServiceDeskClient;
  return { client, counter };
}

describe('taxonomy cache', () => {
  it('asks the portal once per tenant per TTL, also for jobs in flight together', async () => {
    let now = 0;
    const cache = createTaxonomyCache({ ttlMs: 1_000, now: () => now });
    const { client, counter } = portal();
    const [a, b] = await Promise.all([cache.get('t1', client), cache.get('t1', client)]);
    expect(a).toEqual({ taxonomy: { categories: ['Email'], priorities: ['High'] }, available: true });
    expect(b).toBe(a);
    expect(counter.calls).toBe(1);
    await cache.get('t2', client);
    expect(counter.calls).toBe(2);
    now = 1_001;
    await cache.get('t1', client);
    expect(counter.calls).toBe(3);
  });

  it('a failure yields an empty taxonomy and is retried after a minute, not after the full TTL', async () => {
    let now = 0;
    const cache = createTaxonomyCache({ ttlMs: 3_600_000, now: () => now });
    const { client, counter } = portal(true);
    expect(await cache.get('t1', client)).toEqual({
      taxonomy: { categories: [], priorities: [] },
      available: false,
    });
    now = 30_000;
    await cache.get('t1', client);
    expect(counter.calls).toBe(1);
    now = 61_000;
    await cache.get('t1', client);
    expect(counter.calls).toBe(2);
  });
});
