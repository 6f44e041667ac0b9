import { type FakeServiceDesk, startFakeServiceDesk, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startRunningStack, TECHNICIAN_KEY } from '../kit/stack.js';

// 12 ServiceDesk Plus calls per tenant per minute (a call every 5 s once the bucket is empty).
const PER_MINUTE = 12;

let stack: Stack;
let historySdp: FakeServiceDesk;
let historyTenant: { slug: string; secret: string };

beforeAll(async () => {
  stack = await startRunningStack({ env: { SDP_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE) } });
  // A tenant of its own, on a portal of its own, so its calls are counted apart.
  historySdp = await startFakeServiceDesk();
  const added = await stack.addTenant({
    slug: 'fabrikam',
    name: 'Fabrikam Inc',
    sdpBaseUrl: historySdp.url,
    technicianKey: TECHNICIAN_KEY,
  });
  historyTenant = { slug: 'fabrikam', secret: added.webhookSecret };
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await historySdp?.close();
});

/** The most calls a tenant's budget allows `ms` after it started full. */
const allowed = (ms: number) => PER_MINUTE + Math.ceil((PER_MINUTE * ms) / 60_000);

describe('per-tenant ServiceDesk Plus budget', () => {
  it('never lets a tenant call more than its budget, and delays the jobs over it without using their attempts', async () => {
    const started = Date.now();
    const subjects = [
      'Printer offline',
      'Outlook password loop',
      'VPN drops hourly',
      'Teams no audio',
      'Disk full',
    ];
    for (const [i, subject] of subjects.entries()) {
      const { res } = await stack.ticket(subject, `evt-rl-${i}`, {
        requester: { email_id: `u${i}@contoso.example` },
      });
      expect(res.status).toBe(202);
    }
    // A job reserves its three sure calls (request, knowledge base, note) before it starts, and each
    // further call (the taxonomy on a cold cache) as it is made: four jobs start, the fifth waits.
    const delayed = await waitFor(
      async () => {
        const jobs = await stack.queue.getDelayed();
        return jobs.length >= 1 ? jobs : undefined;
      },
      10_000,
      'the jobs over budget to be delayed',
    );
    for (const job of delayed) expect(job.attemptsMade).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // Every call the fake saw, against what the budget allowed since the first webhook.
    expect(stack.sdp.calls.length).toBeGreaterThan(0);
    expect(stack.sdp.calls.length).toBeLessThanOrEqual(allowed(Date.now() - started));
    expect((await stack.rows()).filter((r) => r.status === 'posted').length).toBeLessThan(subjects.length);
  }, 60_000);

  it("counts resolved-ticket jobs against the same budget: once they used it, the next ticket's job waits", async () => {
    // Six resolved tickets: each history job reserves its two calls (request, resolution): 12 in all.
    for (let i = 0; i < 6; i++) {
      const request = historySdp.addRequest({
        subject: `Old ticket ${i}`,
        status: { name: 'Resolved' },
        resolved_time: { value: String(Date.now() - 3_600_000) },
        resolution: { content: '<p>Restarted the spooler.</p>' },
      });
      const res = await stack.post(
        { event: 'request.resolved', event_id: `evt-hist-${i}`, request: { id: request.id } },
        {},
        historyTenant,
      );
      expect(res.status).toBe(202);
    }
    await waitFor(
      () => (historySdp.calls.filter((c) => c.path.endsWith('/resolutions')).length === 6 ? true : undefined),
      20_000,
      'the six history jobs',
    );
    const callsBefore = historySdp.calls.length;
    expect(callsBefore).toBeLessThanOrEqual(allowed(20_000));

    const request = historySdp.addRequest({ subject: 'Scanner jams', description: '<p>Scanner jams</p>' });
    const res = await stack.post(
      { event: 'request.created', event_id: 'evt-after-history', request: { id: request.id } },
      {},
      historyTenant,
    );
    expect(res.status).toBe(202);
    const [job] = await waitFor(
      async () => {
        const jobs = (await stack.queue.getDelayed()).filter((j) => j.data.eventId === 'evt-after-history');
        return jobs.length === 1 ? jobs : undefined;
      },
      10_000,
      'the ticket job to wait for budget',
    );
    expect(job?.attemptsMade).toBe(0);
    // It waits for its three calls (about 15 s at 12 a minute), and called nothing meanwhile.
    expect((job?.delay ?? 0) + (job?.timestamp ?? 0)).toBeGreaterThan(Date.now() + 5_000);
    expect(historySdp.calls.length).toBe(callsBefore);
    expect(historySdp.notes(request.id)).toHaveLength(0);
  }, 60_000);
});
