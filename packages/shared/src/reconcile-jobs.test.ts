import { describe, expect, it } from 'vitest';
import { creationJobId, deriveEventId, eventJobSchema, reconcileTenantSchema } from './jobs.js';
import { sweptCreationJob, tenantSweepJob } from './reconcile-jobs.js';

const TENANT = '6f1c2b1e-8a3d-4c2f-9e57-2d4b8a9c0f11';

describe('the reconcile sweep job descriptions', () => {
  it('queue a swept request under the id and event id its webhook would get, with a valid payload', () => {
    const job = sweptCreationJob(TENANT, '123640000000279007', 1_700_000_000_000);
    expect(job.opts.jobId).toBe(creationJobId(TENANT, '123640000000279007'));
    expect(job.opts.deduplication?.id).toBe(job.opts.jobId);
    expect(job.data.eventId).toBe(deriveEventId(TENANT, 'request.created', '123640000000279007'));
    expect(eventJobSchema.parse(job.data)).toEqual(job.data);
  });

  it("keep one scheduled and one operator's sweep per tenant, each tick its own job id", () => {
    const first = tenantSweepJob({ tenantId: TENANT }, 1_000);
    const next = tenantSweepJob({ tenantId: TENANT }, 121_000);
    const operator = tenantSweepJob({ tenantId: TENANT, since: 0 }, 1_000);
    const other = tenantSweepJob({ tenantId: '0b7e3c6a-1d2f-4a5b-8c9d-0e1f2a3b4c5d' }, 1_000);
    expect(next.opts.deduplication).toEqual(first.opts.deduplication);
    expect(next.opts.jobId).not.toBe(first.opts.jobId);
    expect(operator.opts.deduplication?.id).not.toBe(first.opts.deduplication?.id);
    expect(other.opts.deduplication?.id).not.toBe(first.opts.deduplication?.id);
    // No ':' in custom ids (BullMQ reserves it), and the payload is what the processor reads.
    for (const job of [first, next, operator, other]) expect(job.opts.jobId).not.toContain(':');
    expect(reconcileTenantSchema.parse(operator.data)).toEqual({ tenantId: TENANT, since: 0 });
  });
});
