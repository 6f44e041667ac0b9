import { type PrivateRedis, startPrivateRedis, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack } from '../kit/stack.js';

// A private, persistent redis-server (append-only file, as production should run) is stopped with
// SIGKILL and started again while the API takes webhooks and a worker is mid-job. Neither the API nor
// the worker is restarted.

let redis: PrivateRedis;
let stack: Stack;
let n = 0;

beforeAll(async () => {
  redis = await startPrivateRedis({ persistent: true });
  stack = await startRunningStack({ redisUrl: redis.url });
});

afterAll(async () => {
  await stack?.close();
  await redis?.destroy();
});

const SUBJECTS = ['printer jam', 'outlook password', 'vpn drops', 'teams audio', 'excel crash', 'wifi slow'];

async function send(word: string) {
  n++;
  const request = stack.sdp.addRequest({
    subject: `${SUBJECTS[n % SUBJECTS.length]} ${word} ${'x'.repeat(n)}`,
  });
  const eventId = `evt-redis-${n}`;
  const res = await stack.post({ event: 'request.created', event_id: eventId, request: { id: request.id } });
  return { res, eventId, requestId: request.id };
}

describe('Redis restarted during intake and processing', () => {
  it('answers 503 (never 202) while Redis is down, then recovers and finishes every job by itself', async () => {
    // Jobs in flight when Redis dies: the LLM is slow, so they are mid-job.
    stack.llm.setFault({ latencyMs: 1_500 });
    const before: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 4; i++) before.push(await send('before'));
    expect(before.map((b) => b.res.status)).toEqual([202, 202, 202, 202]);
    await waitFor(async () => ((await stack.rows()).length >= 4 ? true : undefined), 10_000, 'jobs to start');

    await redis.stop();
    const during: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 10; i++) during.push(await send('during'));
    const statuses = during.map((d) => d.res.status);
    expect(statuses.every((s) => s === 503)).toBe(true);
    expect(during[0]?.res.headers.get('retry-after')).toBe('5');
    const ready = await fetch(`${stack.apiUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { redis: 'unavailable', postgres: 'ok' } });

    await new Promise((r) => setTimeout(r, 1_000));
    await redis.start();
    stack.llm.clearFaults();

    // The API reconnects by itself: the sender's retry of a refused event is now accepted.
    const retried = await waitFor(
      async () => {
        const res = await stack.post({
          event: 'request.created',
          event_id: during[0]?.eventId,
          request: { id: during[0]?.requestId },
        });
        return res.status === 202 ? res : undefined;
      },
      20_000,
      'the API to accept webhooks again',
    );
    expect(retried.status).toBe(202);
    const after: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 3; i++) after.push(await send('after'));
    expect(after.map((a) => a.res.status)).toEqual([202, 202, 202]);

    // The worker, never restarted, finishes the jobs from before the outage and the new ones.
    const all = [...before, during[0], ...after].filter((x) => x !== undefined);
    const rows = await stack.settled(
      all.map((a) => a.eventId),
      60_000,
    );
    expect(rows.every((r) => r.status === 'posted')).toBe(true);
    for (const a of all) expect(stack.sdp.notes(a.requestId)).toHaveLength(1);
    // Refused events left nothing behind: no row, no note.
    for (const d of during.slice(1)) {
      expect(await stack.row(d.eventId)).toBeUndefined();
      expect(stack.sdp.notes(d.requestId)).toHaveLength(0);
    }
    expect((await fetch(`${stack.apiUrl}/ready`)).status).toBe(200);
  });
});
