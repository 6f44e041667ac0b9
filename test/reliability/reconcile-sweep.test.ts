import { loadReconcileCursor, setTenantStatus } from '@ai-agents/db';
import { startFakeServiceDesk, TECHNICIAN_KEY, waitFor } from '@ai-agents/sandbox';
import { RECONCILE_SCHEDULER_ID } from '@ai-agents/shared';
import type { RunningWorker } from '@ai-agents/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { admin } from '../../apps/api/test/support/run-admin.js';
import { type Stack, startStack } from '../kit/stack.js';

/**
 * The reconcile sweep (issue 21, point 1) end to end: the fake ServiceDesk Plus, real Postgres and
 * Redis, the API and two workers in-process, a sweep every second.
 */

let stack: Stack;
const workers: RunningWorker[] = [];
let olderRequestId = '';

const listCalls = () =>
  stack.sdp.calls.filter((c) => c.method === 'GET' && c.path === '/api/v3/requests').length;
const notesOn = (requestId: string) => stack.sdp.notes(requestId).length;

/** Completed jobs of a kind; for sweeps, of the stack's own tenant unless another is named. */
async function completed(name: string, tenantId = stack.tenantId): Promise<number> {
  const jobs = (await stack.queue.getJobs(['completed'])).filter((j) => j.name === name);
  return name === 'reconcile-tenant' ? jobs.filter((j) => j.data.tenantId === tenantId).length : jobs.length;
}

/** Waits until `n` more jobs of the kind have completed (sweeps: of the stack's tenant unless named). */
async function moreCompleted(name: string, n: number, tenantId = stack.tenantId): Promise<void> {
  const before = await completed(name, tenantId);
  await waitFor(
    async () => ((await completed(name, tenantId)) >= before + n ? true : undefined),
    15_000,
    `${n} more ${name} jobs`,
  );
}

async function missedCount(): Promise<number> {
  let total = 0;
  for (const w of workers) {
    const metric = await w.metrics.registry.getSingleMetric('reconcile_missed_tickets_total')?.get();
    for (const v of metric?.values ?? []) if (v.labels.tenant === stack.slug) total += v.value;
  }
  return total;
}

beforeAll(async () => {
  stack = await startStack({ env: { RECONCILE_INTERVAL_SECONDS: '1' } });
  // A ticket of the portal's past: created an hour before the tenant was added.
  const before = stack.tenant.createdAt.getTime() - 3600_000;
  olderRequestId = stack.sdp.addRequest({
    subject: 'Backlog from before onboarding',
    created_time: { value: String(before), display_value: new Date(before).toISOString() },
  }).id;
  await stack.startApi();
  workers.push(await stack.startWorker(), await stack.startWorker());
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('the reconcile sweep', () => {
  it('notes a ticket no webhook brought, once, and counts it as missed', async () => {
    const { id } = stack.sdp.addRequest({ subject: 'Webhook never sent', description: '<p>Disk full</p>' });
    await waitFor(() => (notesOn(id) > 0 ? true : undefined), 20_000, 'the swept ticket to get its note');
    // Several more sweeps read it again (overlap window): still one note, one enhancement.
    await moreCompleted('reconcile-tenant', 3);
    expect(notesOn(id)).toBe(1);
    expect((await stack.rows()).filter((r) => r.sdpRequestId === id)).toHaveLength(1);
    expect(await missedCount()).toBeGreaterThanOrEqual(1);
  });

  it('keeps the cursor at our clock when the portal stamps a request in the future', async () => {
    const ahead = Date.now() + 86_400_000;
    const { id } = stack.sdp.addRequest({
      subject: 'Portal clock a day ahead',
      created_time: { value: String(ahead), display_value: new Date(ahead).toISOString() },
    });
    await waitFor(
      () => (notesOn(id) > 0 ? true : undefined),
      20_000,
      'the future-stamped ticket to get its note',
    );
    const cursor = await loadReconcileCursor({ db: stack.database.db, tenantId: stack.tenantId });
    expect(cursor?.sweptTo.getTime()).toBeLessThanOrEqual(Date.now());
    // A request stamped by the right clock afterwards is still found.
    const next = stack.sdp.addRequest({ subject: 'Clock fixed again' }).id;
    await waitFor(() => (notesOn(next) > 0 ? true : undefined), 20_000, 'the next ticket to get its note');
  });

  it('notes what was created while the portal list failed once it answers again, failing no job', async () => {
    stack.sdp.setFault('listRequests', { status: 503 });
    const { id } = stack.sdp.addRequest({ subject: 'Created during a portal outage' });
    try {
      await moreCompleted('reconcile-tenant', 2);
      expect(notesOn(id)).toBe(0);
      expect((await stack.queue.getFailed()).filter((j) => j.name.startsWith('reconcile'))).toEqual([]);
    } finally {
      stack.sdp.clearFaults();
    }
    await waitFor(() => (notesOn(id) > 0 ? true : undefined), 20_000, 'the note after the outage');
    expect(notesOn(id)).toBe(1);
  });

  it('gives a ticket both webhooked and swept one note', async () => {
    const { request, res } = await stack.ticket('Printer jammed', 'evt-both-1');
    expect(res.status).toBe(202);
    await waitFor(() => (notesOn(request.id) > 0 ? true : undefined), 20_000, 'the note');
    await moreCompleted('reconcile-tenant', 3);
    expect(notesOn(request.id)).toBe(1);
    const posted = (await stack.rows()).filter((r) => r.sdpRequestId === request.id && r.status === 'posted');
    expect(posted).toHaveLength(1);
  });

  it('never investigates a ticket created before the tenant was added', async () => {
    expect(await completed('reconcile-tenant')).toBeGreaterThan(3);
    expect(notesOn(olderRequestId)).toBe(0);
    expect((await stack.rows()).filter((r) => r.sdpRequestId === olderRequestId)).toHaveLength(0);
  });

  it('investigates that backlog on purpose with `tenant reconcile --since`', async () => {
    vi.stubEnv('DATABASE_URL', stack.env.DATABASE_URL);
    vi.stubEnv('ENCRYPTION_KEY', stack.env.ENCRYPTION_KEY);
    vi.stubEnv('REDIS_URL', stack.env.REDIS_URL);
    vi.stubEnv('QUEUE_PREFIX', stack.env.QUEUE_PREFIX);
    try {
      const since = new Date(stack.tenant.createdAt.getTime() - 2 * 3600_000).toISOString();
      const { code } = await admin('tenant', 'reconcile', stack.slug, '--since', since);
      expect(code).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
    await waitFor(
      () => (notesOn(olderRequestId) > 0 ? true : undefined),
      20_000,
      'the backlog ticket to get its note',
    );
    expect(notesOn(olderRequestId)).toBe(1);
  });

  it('poll mode: a tenant that sends no webhook at all gets one note per ticket, from its SDP budget', async () => {
    const portal = await startFakeServiceDesk({ technicianKeys: [TECHNICIAN_KEY] });
    try {
      const { tenant } = await stack.addTenant({ sdpBaseUrl: portal.url, technicianKey: TECHNICIAN_KEY });
      const ids = ['Mailbox full', 'Monitor flickers', 'Badge reader offline'].map(
        (subject) => portal.addRequest({ subject, description: `<p>${subject}</p>` }).id,
      );
      await waitFor(
        () => (ids.every((id) => portal.notes(id).length > 0) ? true : undefined),
        20_000,
        'every poll-mode ticket to get its note',
      );
      await moreCompleted('reconcile-tenant', 2, tenant.id);
      expect(ids.map((id) => portal.notes(id).length)).toEqual([1, 1, 1]);
      // The list calls came out of the tenant's ServiceDesk Plus budget (its token bucket in Redis).
      expect(await stack.redis.exists(`${stack.queuePrefix}:ratelimit:sdp:${tenant.id}`)).toBe(1);
      await setTenantStatus({ db: stack.database.db, tenantId: tenant.id }, 'disabled', 'test');
    } finally {
      await portal.close();
    }
  });

  it('runs one sweep per tenant per tick with two workers, and an idle tenant costs one list call per sweep', async () => {
    const [ticks0, sweeps0, calls0] = [
      await completed('reconcile-tick'),
      await completed('reconcile-tenant'),
      listCalls(),
    ];
    await waitFor(
      async () => ((await completed('reconcile-tick')) >= ticks0 + 4 ? true : undefined),
      15_000,
      'four ticks',
    );
    const [ticks, sweeps, calls] = [
      (await completed('reconcile-tick')) - ticks0,
      (await completed('reconcile-tenant')) - sweeps0,
      listCalls() - calls0,
    ];
    // Two workers share one scheduler: about one tick a second, never one per worker.
    expect(ticks).toBeLessThanOrEqual(6);
    // One tenant: at most one sweep per tick (a sweep still running when a tick comes is not doubled).
    expect(sweeps).toBeLessThanOrEqual(ticks + 1);
    expect(sweeps).toBeGreaterThanOrEqual(ticks - 1);
    // Idle: each sweep is one list call, give or take the one in flight as the counts were read.
    expect(Math.abs(calls - sweeps)).toBeLessThanOrEqual(1);
  });

  it('interval 0 removes the scheduler: no more ticks', async () => {
    expect(await stack.queue.getJobScheduler(RECONCILE_SCHEDULER_ID)).toBeTruthy();
    workers.push(await stack.startWorker({ RECONCILE_INTERVAL_SECONDS: '0' }));
    expect(await stack.queue.getJobScheduler(RECONCILE_SCHEDULER_ID)).toBeFalsy();
    await new Promise((r) => setTimeout(r, 1_500));
    const ticks = await completed('reconcile-tick');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await completed('reconcile-tick')).toBe(ticks);
  });
});
