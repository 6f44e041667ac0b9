import { queueBacklog } from '@ai-agents/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000', SDP_RATE_LIMIT_PER_MINUTE: '100000' },
  });
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
});

async function setTenantLimit(limit: number | null) {
  const owner = new pg.Client({ connectionString: stack.testDb.ownerUrl });
  await owner.connect();
  await owner.query('update tenants set webhook_rate_limit_per_minute = $1', [limit]);
  await owner.end();
  // The API caches a tenant's webhook settings for TENANT_CACHE_TTL_MS; a restart reads them now.
  await stack.stopApi();
  await stack.startApi();
}

describe('alert storm: 500 near-identical tickets from one monitoring account', () => {
  it('makes one LLM call; every ticket gets exactly one note, the rest link to the first', async () => {
    const backlogBefore = await queueBacklog(stack.queue);
    expect(backlogBefore.waiting).toBe(0);
    const tickets: { requestId: string; eventId: string }[] = [];
    for (let i = 0; i < 500; i++) {
      const request = stack.sdp.addRequest({
        subject: `CRITICAL: disk C: ${90 + (i % 10)}% full on SRV-${1000 + i} (10.0.${i % 250}.${i % 200})`,
        requester: { name: 'Monitoring', email_id: 'monitor@contoso.example' },
      });
      tickets.push({ requestId: request.id, eventId: `evt-storm-${i}` });
    }
    // All 500 are queued before a worker starts, as when a storm outruns the workers.
    for (let i = 0; i < tickets.length; i += 50) {
      const batch = tickets.slice(i, i + 50);
      const statuses = await Promise.all(
        batch.map(
          async (t) =>
            (
              await stack.post({
                event: 'request.created',
                event_id: t.eventId,
                request: { id: t.requestId },
              })
            ).status,
        ),
      );
      expect(statuses.every((s) => s === 202)).toBe(true);
    }
    const backlog = await queueBacklog(stack.queue);
    expect(backlog.waiting).toBe(500);
    expect(backlog.oldestWaitingAgeSeconds).toBeGreaterThan(0);

    const llmBefore = stack.llm.calls.length;
    await stack.startWorker({ WORKER_CONCURRENCY: '20' });
    const rows = await stack.settled(
      tickets.map((t) => t.eventId),
      120_000,
    );
    expect(rows.every((r) => r.status === 'posted')).toBe(true);
    expect(stack.llm.calls.length - llmBefore).toBe(1);
    const leaders = rows.filter((r) => r.stormLeaderId === null);
    expect(leaders).toHaveLength(1);
    for (const t of tickets) expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
    const followerNotes = tickets
      .filter((t) => t.requestId !== leaders[0]?.sdpRequestId)
      .map((t) => stack.sdp.notes(t.requestId)[0]?.description ?? '');
    expect(
      followerNotes.every(
        (d) => d.includes('Part of an ongoing incident') && d.includes(`#${leaders[0]?.sdpRequestId}`),
      ),
    ).toBe(true);
    expect((await queueBacklog(stack.queue)).waiting).toBe(0);
  }, 180_000);
});

describe('per-tenant webhook rate limit', () => {
  it('answers 429 with Retry-After past the tenant’s own limit, shared by API replicas', async () => {
    await setTenantLimit(5);
    const second = await (await import('@ai-agents/api')).createApi(
      (await import('@ai-agents/shared')).loadConfig(stack.env, 'api'),
      (await import('@ai-agents/shared')).createLogger({ name: 'replica', level: 'silent' }),
    );
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 8; i++) {
        const raw = JSON.stringify({
          event: 'request.created',
          event_id: `evt-flood-${i}`,
          request: { id: `${9000 + i}` },
        });
        const { signWebhook } = await import('@ai-agents/shared');
        // Alternate between two API instances: the limit lives in Redis, not in a process.
        const res =
          i % 2 === 0
            ? await stack.post(raw)
            : await second.inject({
                method: 'POST',
                url: `/v1/webhooks/servicedesk/${stack.slug}`,
                headers: { 'content-type': 'application/json', ...signWebhook(stack.secret, raw) },
                payload: raw,
              });
        const status = 'statusCode' in res ? res.statusCode : res.status;
        statuses.push(status);
        if (status === 429)
          retryAfter =
            'statusCode' in res ? String(res.headers['retry-after']) : res.headers.get('retry-after');
      }
      expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      // 1 token per 12 s at 5 per minute.
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(12);

      // Unsigned requests do not use up the tenant's budget: they stop at authentication.
      await setTenantLimit(1);
      // A fresh bucket holding exactly one delivery.
      await stack.redis.del(`${stack.env.QUEUE_PREFIX}:ratelimit:webhook:${stack.tenantId}`);
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${stack.apiUrl}/v1/webhooks/servicedesk/${stack.slug}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect(res.status).toBe(401);
      }
      const real = await stack.post({
        event: 'request.created',
        event_id: 'evt-flood-real',
        request: { id: '9100' },
      });
      expect(real.status).toBe(202);
    } finally {
      await second.close();
      await setTenantLimit(null);
    }
  });
});
