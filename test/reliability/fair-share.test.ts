import { type FakeServiceDesk, startFakeServiceDesk, waitFor } from '@ai-agents/sandbox';
import type { RunningWorker } from '@ai-agents/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, TECHNICIAN_KEY } from '../kit/stack.js';

// Issue 21, "share the workers fairly": one API, two workers at the default concurrency (20) and the
// default share (TENANT_SHARE_SLOTS=4), a 1.5 s LLM. A tenant's note latency is compared with its own
// latency alone, in the same run, never with an absolute figure.

const LLM_MS = 1_500;
const FLOOD = 150;

let stack: Stack;
let hanging: FakeServiceDesk;
let fabrikam: { slug: string; secret: string };
let northwind: { slug: string; secret: string };
let workers: RunningWorker[] = [];

beforeAll(async () => {
  stack = await startStack({
    env: {
      // Within the flooding tenant's limits: the point is the workers, not intake or the SDP budget.
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '200',
      SDP_RATE_LIMIT_PER_MINUTE: '100000',
      SDP_TIMEOUT_MS: '1000',
      BREAKER_FAILURES: '3',
      BREAKER_COOLDOWN_MS: '4000',
    },
  });
  stack.llm.setFault({ latencyMs: LLM_MS });
  hanging = await startFakeServiceDesk();
  const added = await stack.addTenant({
    slug: 'fabrikam',
    name: 'Fabrikam Inc',
    sdpBaseUrl: stack.sdp.url,
    technicianKey: TECHNICIAN_KEY,
  });
  fabrikam = { slug: 'fabrikam', secret: added.webhookSecret };
  const broken = await stack.addTenant({
    slug: 'northwind',
    name: 'Northwind Traders',
    sdpBaseUrl: hanging.url,
    technicianKey: TECHNICIAN_KEY,
  });
  northwind = { slug: 'northwind', secret: broken.webhookSecret };
  await stack.startApi();
  workers = [await stack.startWorker(), await stack.startWorker()];
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await hanging?.close();
});

/** A new fabrikam ticket and its webhook; resolves when the API accepted it. */
async function fabrikamTicket(subject: string, eventId: string): Promise<string> {
  const request = stack.sdp.addRequest({ subject, description: `<p>${subject}</p>` });
  const res = await stack.post(
    { event: 'request.created', event_id: eventId, request: { id: request.id } },
    {},
    fabrikam,
  );
  expect(res.status).toBe(202);
  return request.id;
}

/** Milliseconds from `started` to the note on `requestId`. */
async function noteMs(requestId: string, started: number): Promise<number> {
  await waitFor(
    () => (stack.sdp.notes(requestId).length > 0 ? true : undefined),
    60_000,
    `the note on ${requestId}`,
  );
  return Date.now() - started;
}

/** Milliseconds from fabrikam's webhook to its note on the ticket. */
async function fabrikamNoteMs(subject: string, eventId: string): Promise<number> {
  const started = Date.now();
  return noteMs(await fabrikamTicket(subject, eventId), started);
}

/**
 * Fabrikam's note latency when its ticket arrives behind whatever `before` queues: the workers are
 * paused while both are queued (as if they arrived within a moment), the clock starts when they resume.
 */
async function queuedBehind(
  before: () => Promise<unknown>,
  subject: string,
  eventId: string,
): Promise<number> {
  await Promise.all(workers.map((w) => w.worker.pause()));
  await before();
  const requestId = await fabrikamTicket(subject, eventId);
  const started = Date.now();
  for (const w of workers) w.worker.resume();
  return noteMs(requestId, started);
}

async function flood(as: { slug: string; secret: string }, sdp: FakeServiceDesk, count: number, tag: string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, k) => {
        // A requester each: distinct tickets, not one alert storm (whose followers skip the LLM).
        const request = sdp.addRequest({
          subject: `Disk full on a file server (${tag} ${i + k})`,
          description: '<p>Disk full</p>',
          requester: { name: `User ${i + k}`, email_id: `user${i + k}@${tag}.example` },
        });
        const res = await stack.post(
          { event: 'request.created', event_id: `${tag}-${i + k}`, request: { id: request.id } },
          {},
          as,
        );
        expect(res.status).toBe(202);
        return request.id;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

describe('fair share of the workers', () => {
  it("keeps another tenant's first note within about one note's latency of its time alone while one tenant floods", async () => {
    const alone = await queuedBehind(async () => {}, 'Printer on floor 3 offline', 'alone-1');
    let floodIds: string[] = [];
    const flooded = await queuedBehind(
      async () => {
        floodIds = await flood({ slug: stack.slug, secret: stack.secret }, stack.sdp, FLOOD, 'flood');
      },
      'VPN drops every hour',
      'flooded-1',
    );
    // Without a share, 40 slots of 1.5 s notes take the 150 jobs ahead of it in 4 rounds (6 s and more).
    expect(flooded - alone).toBeLessThan(alone + 1_500);

    // The flooding tenant is served all the same: every ticket gets its one note.
    await waitFor(
      () => (floodIds.every((id) => stack.sdp.notes(id).length === 1) ? true : undefined),
      150_000,
      "the flood's notes",
    );
    expect(floodIds.filter((id) => stack.sdp.notes(id).length !== 1)).toEqual([]);
  }, 240_000);

  it("opens a timing-out portal's breaker, keeps the others' notes as fast, and resumes on its own", async () => {
    const alone = await fabrikamNoteMs('Outlook asks for the password', 'alone-2');
    hanging.setFault('all', { hang: true });
    const stuck = await flood(northwind, hanging, 30, 'hang');
    const during = await fabrikamNoteMs('Teams cannot share screen', 'during-hang');
    expect(during - alone).toBeLessThan(alone + 1_500);

    // After three timeouts the breaker opens: northwind's jobs wait in the delayed set, holding no slot.
    const metrics = async () =>
      (await Promise.all(workers.map((w) => w.metrics.registry.metrics()))).join('\n');
    await waitFor(
      async () =>
        (await metrics()).includes('tenant_circuit_state{tenant="northwind"} 2') ? true : undefined,
      30_000,
      "northwind's breaker to open",
    );
    const callsWhileOpen = hanging.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Open: no job of northwind calls its portal during the cool-down.
    expect(hanging.calls.length).toBe(callsWhileOpen);

    // The portal comes back: after the cool-down one job probes, the breaker closes, every ticket gets a note.
    hanging.clearFaults();
    await waitFor(
      () => (stuck.every((id) => hanging.notes(id).length === 1) ? true : undefined),
      90_000,
      "northwind's notes after its portal came back",
    );
    await waitFor(
      async () =>
        (await metrics()).includes('tenant_circuit_state{tenant="northwind"} 0') ? true : undefined,
      10_000,
      "northwind's breaker to close",
    );
  }, 180_000);
});
