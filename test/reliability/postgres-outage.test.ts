import { startTcpProxy, type TcpProxy, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

// The API and the worker reach Postgres through a TCP proxy that cuts every connection and refuses
// new ones for a while; the machine's Postgres itself is never touched.

let proxy: TcpProxy;
let stack: Stack;

beforeAll(async () => {
  const port = Number(new URL(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432').port || 5432);
  proxy = await startTcpProxy(port);
  stack = await startStack({
    databaseUrl: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(proxy.port);
      return u.toString();
    },
  });
  await stack.startApi();
  await stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await proxy?.close();
});

describe('Postgres unavailable for a while', () => {
  it('/ready reports it, jobs retry with backoff and complete once it is back', async () => {
    // Known tenant: its webhook credentials are cached, so intake keeps working during the outage.
    const warm = stack.sdp.addRequest({ subject: 'Printer on floor two is offline' });
    expect(
      (await stack.post({ event: 'request.created', event_id: 'evt-pg-0', request: { id: warm.id } })).status,
    ).toBe(202);
    await stack.settled(['evt-pg-0']);

    proxy.cut();
    const ready = await fetch(`${stack.apiUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { postgres: 'unavailable', redis: 'ok' } });

    const subjects = ['Outlook asks for password', 'VPN drops every hour', 'Teams has no audio'];
    const sent = [];
    for (const [i, subject] of subjects.entries()) {
      const request = stack.sdp.addRequest({ subject });
      const res = await stack.post({
        event: 'request.created',
        event_id: `evt-pg-${i + 1}`,
        request: { id: request.id },
      });
      expect(res.status).toBe(202);
      sent.push({ eventId: `evt-pg-${i + 1}`, requestId: request.id });
    }
    // The jobs fail against the dead database and wait for their retry.
    await waitFor(
      async () => ((await stack.queue.getDelayedCount()) >= 3 ? true : undefined),
      15_000,
      'the jobs to be scheduled for a retry',
    );
    const failedAttempts = await stack.queue.getDelayed();
    expect(failedAttempts.every((j) => j.attemptsMade >= 1)).toBe(true);

    proxy.restore();
    const rows = await stack.settled(
      sent.map((s) => s.eventId),
      40_000,
    );
    expect(rows.every((r) => r.status === 'posted')).toBe(true);
    for (const s of sent) expect(stack.sdp.notes(s.requestId)).toHaveLength(1);
    expect((await fetch(`${stack.apiUrl}/ready`)).status).toBe(200);
  });

  it('an unknown tenant looked up during the outage gets 503, not 500', async () => {
    proxy.cut();
    const res = await fetch(`${stack.apiUrl}/v1/webhooks/servicedesk/not-cached-tenant`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-webhook-timestamp': '1',
        'x-webhook-signature': 'sha256=00',
      },
      body: '{}',
    });
    proxy.restore();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
  });
});
