import { waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack } from '../kit/stack.js';

let stack: Stack;

beforeAll(async () => {
  // 4 calls per minute: two jobs' worth (each reserves its two calls), then the tenant must wait.
  stack = await startRunningStack({ env: { SDP_RATE_LIMIT_PER_MINUTE: '4' } });
});

afterAll(async () => {
  await stack?.close();
});

describe('per-tenant outbound ServiceDesk Plus limit', () => {
  it('delays the jobs of a tenant over its budget without using their attempts or calling SDP', async () => {
    for (const [i, subject] of ['Printer offline', 'Outlook password loop', 'VPN drops hourly'].entries()) {
      const { res } = await stack.ticket(subject, `evt-rl-${i}`);
      expect(res.status).toBe(202);
    }
    // The three jobs run at once; whichever two reserve first get the budget.
    const rows = await waitFor(
      async () => {
        const all = await stack.rows();
        return all.filter((r) => r.status === 'posted').length === 2 ? all : undefined;
      },
      15_000,
      'two jobs to be posted',
    );
    const waiting = rows.find((r) => r.status !== 'posted');
    expect(waiting?.status).toBe('processing');
    const delayed = await waitFor(
      async () => {
        const jobs = await stack.queue.getDelayed();
        return jobs.length === 1 ? jobs : undefined;
      },
      10_000,
      'the third job to be delayed',
    );
    expect(delayed[0]?.data.eventId).toBe(waiting?.eventId);
    expect(delayed[0]?.attemptsMade).toBe(0);
    // Two jobs, two calls each; the third made none.
    expect(stack.sdp.calls.filter((c) => c.path.startsWith('/api/v3/requests'))).toHaveLength(4);
    expect(stack.sdp.notes(waiting?.sdpRequestId)).toHaveLength(0);
    // About 30 s until its two tokens are back: it would run then.
    expect((delayed[0]?.delay ?? 0) + (delayed[0]?.timestamp ?? 0)).toBeGreaterThan(Date.now() + 10_000);
  });
});
