import { startFakeServiceDesk, TECHNICIAN_KEY, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { admin } from '../../apps/api/test/support/run-admin.js';
import { type Stack, startRunningStack } from '../kit/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startRunningStack();
  vi.stubEnv('DATABASE_URL', stack.env.DATABASE_URL);
  vi.stubEnv('ENCRYPTION_KEY', stack.env.ENCRYPTION_KEY);
  vi.stubEnv('REDIS_URL', stack.env.REDIS_URL);
  vi.stubEnv('QUEUE_PREFIX', stack.env.QUEUE_PREFIX);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await stack?.close();
});

/** Two jobs that fail for good: ServiceDesk Plus refuses the technician key (403). */
async function failTwo() {
  stack.sdp.setFault('getRequest', { status: 403 });
  const a = await stack.ticket('Printer offline on floor three', 'evt-admin-a');
  const b = await stack.ticket('Outlook keeps asking for a password', 'evt-admin-b');
  await stack.settled(['evt-admin-a', 'evt-admin-b'], 15_000);
  await waitFor(async () => ((await stack.queue.getFailedCount()) === 2 ? true : undefined), 10_000);
  stack.sdp.clearFaults();
  return [a.request.id, b.request.id];
}

describe('admin jobs', () => {
  it('lists failed jobs with the error recorded in enhancements, and retries one, then all of a tenant', async () => {
    const [a, b] = await failTwo();
    const listed = await admin('--json', 'jobs', 'failed');
    expect(listed.code).toBe(0);
    const { failed } = JSON.parse(listed.out) as {
      failed: { id: string; requestId: string; recordedError: string | null; tenantId: string }[];
    };
    expect(failed.map((f) => f.requestId).sort()).toEqual([a, b].sort());
    expect(
      failed.every(
        (f) => f.tenantId === stack.tenantId && /403|forbidden|permission/i.test(f.recordedError ?? ''),
      ),
    ).toBe(true);

    const first = failed.find((f) => f.requestId === a);
    const retried = await admin('jobs', 'retry', first?.id ?? '');
    expect(retried).toMatchObject({ code: 0 });
    expect(retried.out).toContain('queued again');
    await waitFor(
      async () => ((await stack.row('evt-admin-a'))?.status === 'posted' ? true : undefined),
      15_000,
    );
    expect(stack.sdp.notes(a)).toHaveLength(1);

    const again = await admin('jobs', 'retry', first?.id ?? '');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/not in the failed set/);

    const all = await admin('--json', 'jobs', 'retry-all', '--tenant', stack.slug);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.out).retried).toHaveLength(1);
    await waitFor(
      async () => ((await stack.row('evt-admin-b'))?.status === 'posted' ? true : undefined),
      15_000,
    );
    expect(stack.sdp.notes(b)).toHaveLength(1);
    expect((await admin('jobs', 'failed')).out).toContain('No failed jobs.');
  });

  it('names the problem: unknown job, unknown tenant, missing REDIS_URL', async () => {
    expect(await admin('jobs', 'retry', 'no-such-job')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/No job/),
    });
    expect(await admin('jobs', 'retry-all', '--tenant', 'nobody')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/No tenant with slug "nobody"/),
    });
    expect((await admin('jobs', 'retry-all')).code).toBe(2);
    vi.stubEnv('REDIS_URL', undefined);
    const missing = await admin('jobs', 'failed');
    vi.stubEnv('REDIS_URL', stack.env.REDIS_URL);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/REDIS_URL is required/);
  });

  it("retries every failed event of a tenant even after another tenant's failures evicted its jobs from the failed set", async () => {
    // Tenant B on a portal of its own that refuses the key: its three tickets fail for good.
    const portal = await startFakeServiceDesk();
    try {
      const added = await stack.addTenant({
        slug: 'fabrikam',
        name: 'Fabrikam Inc',
        sdpBaseUrl: portal.url,
        technicianKey: TECHNICIAN_KEY,
      });
      const b = { slug: 'fabrikam', secret: added.webhookSecret };
      portal.setFault('getRequest', { status: 403 });
      const requests = ['Scanner jams', 'Badge reader dead', 'Wi-Fi drops'].map((subject) =>
        portal.addRequest({ subject, description: `<p>${subject}</p>` }),
      );
      for (const [i, request] of requests.entries()) {
        const res = await stack.post(
          { event: 'request.created', event_id: `evt-b-${i}`, request: { id: request.id } },
          {},
          b,
        );
        expect(res.status).toBe(202);
      }
      await waitFor(async () => ((await stack.queue.getFailedCount()) >= 3 ? true : undefined), 15_000);

      // Tenant A fails more jobs than the shared failed set keeps (10,000 in production; 2 here, the
      // same trimming BullMQ applies when a job fails): B's failed jobs are evicted from it.
      for (let i = 0; i < 4; i++) {
        await stack.queue.add(
          'enhance-ticket',
          {
            tenantId: stack.tenantId,
            eventId: `evt-a-unknown-${i}`,
            event: 'request.created',
            requestId: String(990_000 + i),
            receivedAt: Date.now(),
          },
          { jobId: `a-unknown-${i}`, attempts: 1, removeOnFail: { count: 2 } },
        );
      }
      // All four have failed (or were already trimmed from the failed set): they run concurrently, so
      // a-unknown-3 may fail first and be trimmed by the others.
      await waitFor(async () => {
        const states = await Promise.all([0, 1, 2, 3].map((i) => stack.queue.getJobState(`a-unknown-${i}`)));
        return states.every((state) => state === 'failed' || state === 'unknown') ? true : undefined;
      }, 15_000);
      const inFailedSet = (await stack.queue.getFailed()).map((j) => j.data.eventId);
      expect(inFailedSet.filter((id: string) => id.startsWith('evt-b-'))).toEqual([]);

      portal.clearFaults();
      const all = await admin('--json', 'jobs', 'retry-all', '--tenant', 'fabrikam');
      expect(all.code).toBe(0);
      expect(JSON.parse(all.out).retried).toHaveLength(3);
      await waitFor(
        () => (requests.every((r) => portal.notes(r.id).length === 1) ? true : undefined),
        20_000,
        "fabrikam's three notes",
      );
      // Once each: a second retry-all finds nothing failed.
      expect(
        JSON.parse((await admin('--json', 'jobs', 'retry-all', '--tenant', 'fabrikam')).out).retried,
      ).toEqual([]);
    } finally {
      await portal.close();
    }
  }, 60_000);
});
