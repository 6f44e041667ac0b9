import { removeAsRetentionDoes, waitFor } from '@ai-agents/sandbox';
import { ENHANCE_JOB, eventDedupeKey } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack } from '../kit/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startRunningStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('one ticket, many events', () => {
  it('refuses event names the product does not handle, naming the field', async () => {
    const { id } = stack.sdp.addRequest({ subject: 'Laptop will not boot' });
    for (const event of ['x1', 'request.updated', 'Request.Created']) {
      const res = await stack.post({ event, event_id: `odd-${event}`, request: { id } });
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({
        error: 'invalid_payload',
        message: 'event must be one of "request.created", "request.resolved", "request.closed"',
      });
    }
    expect(await stack.queue.getJobCounts('waiting', 'delayed', 'active')).toEqual({
      waiting: 0,
      delayed: 0,
      active: 0,
    });
  });

  it('posts one note and makes one LLM call per request, whatever the event names and ids', async () => {
    const llmBefore = stack.llm.calls.length;
    const { request, res } = await stack.ticket('Outlook keeps asking for a password', 'first');
    expect(res.status).toBe(202);
    await stack.settled(['first']);
    const later = ['x1', 'x2', 'x3'];
    for (const [i, event] of later.entries())
      await stack.post({ event, event_id: `later-${i}`, request: { id: request.id } });
    // Within a day (the dedupe key's TTL): one job per request, so the API answers a duplicate.
    const firstJob = (await res.json()) as { job_id: string };
    for (const i of [1, 2, 3]) {
      const again = await stack.post({
        event: 'request.created',
        event_id: `again-${i}`,
        request: { id: request.id },
      });
      expect(again.status).toBe(202);
      expect(await again.json()).toMatchObject({ duplicate: true, job_id: firstJob.job_id });
    }
    // Later (the job and its dedupe key gone, as retention and the TTL remove them): the job is
    // stored again, and Postgres skips it (begin_enhancement: one note per request).
    await waitFor(async () =>
      (await stack.queue.getJobState(firstJob.job_id)) === 'completed' ? true : undefined,
    );
    await removeAsRetentionDoes(
      stack.redis,
      { prefix: stack.queuePrefix, name: stack.queue.name },
      firstJob.job_id,
    );
    await stack.redis.del(eventDedupeKey(stack.queue, firstJob.job_id));
    const later4 = await stack.post({
      event: 'request.created',
      event_id: 'again-4',
      request: { id: request.id },
    });
    expect(await later4.json()).not.toHaveProperty('duplicate');
    const rows = await stack.settled(['again-4']);
    expect(rows.map((r) => r.status)).toEqual(['skipped']);
    expect(stack.sdp.notes(request.id)).toHaveLength(1);
    expect(stack.llm.calls.length - llmBefore).toBe(1);
  });

  it('fails a queued job with an unhandled event name (as older versions queued) without a note', async () => {
    const { id } = stack.sdp.addRequest({ subject: 'Teams audio cuts out' });
    const job = await stack.queue.add(ENHANCE_JOB, {
      tenantId: stack.tenantId,
      eventId: 'legacy-x9',
      event: 'x9',
      requestId: id,
      receivedAt: Date.now(),
    });
    const reason = await waitFor(
      async () => (await stack.queue.getJob(job.id ?? ''))?.failedReason || undefined,
    );
    expect(reason).toMatch(/^Invalid job payload/);
    expect(stack.sdp.notes(id)).toHaveLength(0);
  });
});
