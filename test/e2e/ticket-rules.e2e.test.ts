import { listAudit, setTenantRules, tenants, withTenant } from '@ai-agents/db';
import { waitFor } from '@ai-agents/sandbox';
import { deriveEventId, ENHANCE_JOB, parseTicketRules } from '@ai-agents/shared';
import type { RunningWorker } from '@ai-agents/worker';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

/**
 * The tenant's rules (issue 27, item 1) end to end: the fake ServiceDesk Plus and LLM, real Postgres
 * and Redis, the API and a worker in-process, a reconcile sweep every second. A skipped ticket gets no
 * note and costs no LLM call, whether a webhook or the sweep brought it; it is counted and audited.
 */

let stack: Stack;
let worker: RunningWorker;

const llmCalls = () => stack.llm.calls.length;

async function skippedCount(reason: string): Promise<number> {
  const metric = await worker.metrics.registry.getSingleMetric('tickets_skipped_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.tenant === stack.slug && v.labels.reason === reason)
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * The request's enhancement once its job has ended (completed, or failed for good: BullMQ's failed set
 * holds no job that will be retried): not as soon as the row reads `skipped`, so a worker that went
 * on to post after skipping would be caught.
 */
async function settledRow(requestId: string) {
  await waitFor(
    async () =>
      (await stack.queue.getJobs(['completed', 'failed'])).find(
        (j) => j.name === ENHANCE_JOB && j.data.requestId === requestId,
      ),
    20_000,
    `the job of request ${requestId} to end`,
  );
  const row = (await stack.rows()).find((r) => r.sdpRequestId === requestId);
  if (!row) throw new Error(`no enhancement for request ${requestId}`);
  return row;
}

/** The audit entry the worker wrote for the skipped request. */
async function skipAudit(requestId: string) {
  const entries = await listAudit({ db: stack.database.db, tenantId: stack.tenantId }, 50);
  return entries.find((e) => e.action === 'ticket.skipped' && e.details.requestId === requestId);
}

beforeAll(async () => {
  stack = await startStack({ env: { RECONCILE_INTERVAL_SECONDS: '1' } });
  await setTenantRules(
    { db: stack.database.db, tenantId: stack.tenantId },
    parseTicketRules({
      skip: [
        { field: 'category.name', is: 'Facilities' },
        { field: 'request_type.name', is: 'Service Request' },
      ],
      opt_out_requesters: ['ceo@fabrikam.example', '@optout.example'],
    }),
    'test',
  );
  await stack.startApi();
  worker = await stack.startWorker();
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe("the tenant's rules", () => {
  it('skip a webhooked ticket by request_type.name: no note, no LLM call, counted and audited', async () => {
    const calls = llmCalls();
    const { request, res } = await stack.ticket('Laptop for the new hire', 'evt-rules-1', {
      request_type: { name: 'service request' },
    });
    expect(res.status).toBe(202);
    const row = await settledRow(request.id);
    expect(row).toMatchObject({ status: 'skipped', skippedBy: 'skip[1] request_type.name is', noteId: null });
    expect(stack.sdp.notes(request.id)).toEqual([]);
    expect(llmCalls()).toBe(calls);
    expect(await skippedCount('skip_rule')).toBe(1);
    // By request, not by event id: the sweep may have queued the ticket before its webhook (the same job).
    const audit = await skipAudit(request.id);
    expect(audit).toMatchObject({
      actor: 'worker',
      details: { reason: 'skip_rule', rule: 'skip[1] request_type.name is' },
    });
    // The rule, not the ticket: no subject and no value of the ticket in the audit entry.
    expect(JSON.stringify(audit?.details)).not.toMatch(/laptop|service request/i);
  });

  it("skip an opted-out requester's domain", async () => {
    const calls = llmCalls();
    const { request } = await stack.ticket('Please call me back', 'evt-rules-2', {
      requester: { name: 'Max Muster', email_id: 'Max.Muster@OptOut.example' },
    });
    const row = await settledRow(request.id);
    expect(row).toMatchObject({ status: 'skipped', skippedBy: 'opt_out_requesters[1]' });
    expect(stack.sdp.notes(request.id)).toEqual([]);
    expect(llmCalls()).toBe(calls);
    expect(await skippedCount('opted_out')).toBe(1);
    expect((await skipAudit(request.id))?.details).toMatchObject({
      reason: 'opted_out',
      rule: 'opt_out_requesters[1]',
    });
  });

  it('apply to a ticket the reconcile sweep found, once, however often the sweep reads it', async () => {
    const calls = llmCalls();
    const { id } = stack.sdp.addRequest({
      subject: 'Webhook never sent: a chair is broken',
      category: { name: 'Facilities' },
    });
    const row = await settledRow(id);
    expect(row).toMatchObject({ status: 'skipped', skippedBy: 'skip[0] category.name is' });
    // The sweep's own job (no webhook was sent): its event id is derived from the request.
    expect(row.eventId).toBe(deriveEventId(stack.tenantId, 'request.created', id));
    // Further sweeps read the ticket again (their overlap window) and queue nothing: one row, no note.
    const sweeps = (await stack.queue.getJobs(['completed'])).filter(
      (j) => j.name === 'reconcile-tenant',
    ).length;
    await waitFor(
      async () =>
        (await stack.queue.getJobs(['completed'])).filter((j) => j.name === 'reconcile-tenant').length >=
        sweeps + 2
          ? true
          : undefined,
      15_000,
      'two more sweeps',
    );
    expect((await stack.rows()).filter((r) => r.sdpRequestId === id)).toHaveLength(1);
    expect(stack.sdp.notes(id)).toEqual([]);
    expect(llmCalls()).toBe(calls);
    expect(await skippedCount('skip_rule')).toBe(2);
    expect(await skipAudit(id)).toBeDefined();
  });

  it('leave a ticket no rule matches to get its note', async () => {
    const calls = llmCalls();
    const { request } = await stack.ticket('Printer jammed on floor 3', 'evt-rules-4', {
      request_type: { name: 'Incident' },
      requester: { name: 'Anna Berg', email_id: 'anna@fabrikam.example' },
    });
    const row = await settledRow(request.id);
    expect(row).toMatchObject({ status: 'posted', skippedBy: null });
    expect(stack.sdp.notes(request.id)).toHaveLength(1);
    expect(llmCalls()).toBe(calls + 1);
    expect(await skippedCount('skip_rule')).toBe(2);
    expect(await skippedCount('opted_out')).toBe(1);
  });

  it('fail the job, posting nothing, when the stored rules no longer parse (written around the CLI)', async () => {
    await withTenant(stack.database.db, stack.tenantId, (tx) =>
      tx
        .update(tenants)
        .set({ rules: { skip: [{ field: 'subject', matches: '^x' }] } as never })
        .where(eq(tenants.id, stack.tenantId)),
    );
    const calls = llmCalls();
    const { request } = await stack.ticket('Mouse does not click', 'evt-rules-5');
    const row = await settledRow(request.id);
    expect(row.status).toBe('failed');
    expect(row.error).toContain('the tenant\'s rules are invalid (skip[0]: unknown operator "matches"');
    expect(stack.sdp.notes(request.id)).toEqual([]);
    expect(llmCalls()).toBe(calls);
  });
});
