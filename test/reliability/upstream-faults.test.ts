import { removeAsRetentionDoes, waitFor } from '@ai-agents/sandbox';
import { takeTokens } from '@ai-agents/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack } from '../kit/stack.js';

let stack: Stack;
let n = 0;
const TOPICS = ['printer', 'outlook', 'vpn', 'teams', 'excel', 'wifi', 'badge', 'monitor', 'laptop', 'phone'];

beforeAll(async () => {
  stack = await startRunningStack({
    env: { SDP_TIMEOUT_MS: '1000', LLM_TIMEOUT_MS: '1000', LLM_MAX_RETRIES: '1' },
  });
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  stack.sdp.clearFaults();
  stack.llm.clearFaults();
});

/** A ticket with a subject of its own (near-identical subjects would form an alert storm). */
async function ticket(fields: Record<string, unknown> = {}) {
  n++;
  const subject = `${TOPICS[n % TOPICS.length]} ${TOPICS[(n * 3) % TOPICS.length]} issue ${'z'.repeat(n)}`;
  const { request, res } = await stack.ticket(subject, `evt-up-${n}`, fields);
  expect(res.status).toBe(202);
  return { requestId: request.id, eventId: `evt-up-${n}` };
}

const callsTo = (requestId: string) =>
  stack.sdp.calls.filter((c) => c.path.includes(`/requests/${requestId}`));

describe('ServiceDesk Plus faults', () => {
  it('honours Retry-After on a 429 before retrying', async () => {
    stack.sdp.setFault('getRequest', { failNext: 1, status: 429, retryAfterSeconds: 3 });
    const t = await ticket();
    const [row] = await stack.settled([t.eventId], 30_000);
    expect(row?.status).toBe('posted');
    expect(row?.attempts).toBe(2);
    // The first backoff would be ~2 s; the retry waited at least the 3 s SDP asked for.
    expect((row?.postedAt?.getTime() ?? 0) - (row?.createdAt.getTime() ?? 0)).toBeGreaterThanOrEqual(2_900);
    expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
  });

  it('retries a ServiceDesk Plus that does not answer (timeout) and posts once', async () => {
    stack.sdp.setFault('getRequest', { failNext: 1, hang: true });
    const t = await ticket();
    const [row] = await stack.settled([t.eventId], 30_000);
    expect(row).toMatchObject({ status: 'posted', attempts: 2 });
    expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
  });

  it.each([
    [401, 'auth'],
    [403, 'forbidden'],
  ])('fails fast on %i with the reason recorded and no retry storm', async (status) => {
    stack.sdp.setFault('getRequest', { status });
    const t = await ticket();
    const [row] = await stack.settled([t.eventId], 15_000);
    expect(row?.status).toBe('failed');
    expect(row?.attempts).toBe(1);
    expect(row?.error).toBeTruthy();
    await new Promise((r) => setTimeout(r, 2_500)); // a retry would have come by now
    expect(callsTo(t.requestId)).toHaveLength(1);
    expect(stack.sdp.notes(t.requestId)).toHaveLength(0);
  });

  it('fails fast on 404 (a ticket SDP does not know)', async () => {
    const res = await stack.post({
      event: 'request.created',
      event_id: 'evt-up-404',
      request: { id: '777777' },
    });
    expect(res.status).toBe(202);
    const [row] = await stack.settled(['evt-up-404'], 15_000);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row?.error).toMatch(/777777/);
  });

  it('reads odd but real tickets: CDATA, null references, epoch-ms strings', async () => {
    const t = await ticket({
      description: '<div><![CDATA[Printer <b>PRN-7</b> shows error 0x5e]]></div>',
      requester: null,
      category: null,
      priority: null,
      created_time: { value: '1763856000000', display_value: 'Nov 23, 2025' },
    });
    const [row] = await stack.settled([t.eventId], 15_000);
    expect(row?.status).toBe('posted');
    expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
  });

  it('cuts a huge description before the LLM and says so in the note', async () => {
    const callsBefore = stack.llm.calls.length;
    const t = await ticket({ description: `<p>${'The disk is full. '.repeat(10_000)}</p>` });
    const [row] = await stack.settled([t.eventId], 15_000);
    expect(row?.status).toBe('posted');
    const [note] = stack.sdp.notes(t.requestId);
    expect(note?.description).toMatch(
      /The description is \d+ characters long; only the first 4000 were used/,
    );
    const call = stack.llm.calls[callsBefore];
    expect(call?.promptChars).toBeLessThan(10_000);
  });
});

describe('LLM faults: bounded retries, then the context-only note, recorded on the row', () => {
  it.each([
    ['429', { status: 429, retryAfterSeconds: 0 }, /HTTP 429/],
    ['500', { status: 500 }, /HTTP 500/],
    ['timeout', { hang: true }, /LLM request failed/],
    ['invalid output', { invalidOutput: true }, /unusable/],
  ])('%s', async (_name, plan, reason) => {
    stack.llm.setFault(plan);
    const callsBefore = stack.llm.calls.length;
    const t = await ticket();
    const [row] = await stack.settled([t.eventId], 20_000);
    expect(row).toMatchObject({ status: 'posted', fallback: true, attempts: 1 });
    expect(row?.fallbackReason).toMatch(reason);
    const [note] = stack.sdp.notes(t.requestId);
    expect(note?.description).toContain('AI summary unavailable');
    // LLM_MAX_RETRIES=1: at most two calls for the one job.
    expect(stack.llm.calls.length - callsBefore).toBeLessThanOrEqual(2);
  });
});

describe('one note per ticket', () => {
  it('two request.created for the same ticket with other event ids at once are one job', async () => {
    const request = stack.sdp.addRequest({ subject: 'Scanner driver missing after update' });
    const bodies = ['evt-twice-a', 'evt-twice-b'].map((id) => ({
      event: 'request.created',
      event_id: id,
      request: { id: request.id },
    }));
    // Both may pass the duplicate check before either job is stored: both are 202, one job is stored
    // (BullMQ ignores the second add of the same job id).
    const responses = await Promise.all(bodies.map((b) => stack.post(b)));
    expect(responses.map((r) => r.status)).toEqual([202, 202]);
    const answers = (await Promise.all(responses.map((r) => r.json()))) as { job_id: string }[];
    expect(answers[1]?.job_id).toBe(answers[0]?.job_id);
    const stored = (await stack.queue.getJob(answers[0]?.job_id ?? ''))?.data.eventId as string;
    expect(['evt-twice-a', 'evt-twice-b']).toContain(stored);
    await stack.settled([stored], 15_000);
    const rows = (await stack.rows()).filter((r) => r.sdpRequestId === request.id);
    expect(rows.map((r) => [r.eventId, r.status])).toEqual([[stored, 'posted']]);
    expect(stack.sdp.notes(request.id)).toHaveLength(1);
  });

  it('remembers a delivered event after its job is removed and across API restarts', async () => {
    const t = await ticket();
    await stack.settled([t.eventId], 15_000);
    const body = { event: 'request.created', event_id: t.eventId, request: { id: t.requestId } };
    // The completed job is gone as retention removes it (removeAsRetentionDoes), and the API is a
    // new process.
    // The row is posted a moment before BullMQ moves the job to the completed set: wait for both.
    const finished = await waitFor(
      async () => (await stack.queue.getJobs(['completed'])).find((j) => j.data.eventId === t.eventId),
      15_000,
      'the completed job',
    );
    await removeAsRetentionDoes(
      stack.redis,
      { prefix: stack.queue.opts.prefix ?? 'bull', name: stack.queue.name },
      finished?.id ?? '',
    );
    expect(await stack.queue.getJob(finished?.id ?? '')).toBeUndefined();
    await stack.stopApi();
    await stack.startApi();
    const res = await stack.post(body);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ duplicate: true });
    expect(await stack.queue.getWaitingCount()).toBe(0);

    // Even if Redis forgot the event entirely, the worker finds it posted in Postgres.
    const seen = stack.redis;
    const keys = await seen.keys(`${stack.env.QUEUE_PREFIX}:enhance:de:*`);
    await seen.del(...keys);
    const again = await stack.post(body);
    expect(await again.json()).not.toHaveProperty('duplicate');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
    expect((await stack.row(t.eventId))?.status).toBe('posted');
  });
});

describe('per-tenant outbound ServiceDesk Plus limit', () => {
  it('a token bucket in Redis grants a minute’s budget, then names the wait', async () => {
    const redis = stack.redis;
    const key = `${stack.env.QUEUE_PREFIX}:ratelimit:test`;
    const grants = [];
    for (let i = 0; i < 4; i++) grants.push(await takeTokens(redis, key, { perMinute: 6 }, 2));
    expect(grants.slice(0, 3)).toEqual([0, 0, 0]);
    // 2 tokens at 6 per minute: about 20 s, and nothing was taken.
    expect(grants[3]).toBeGreaterThan(15_000);
    expect(grants[3]).toBeLessThanOrEqual(20_000);
  });
});
