import { describe, expect, it } from 'vitest';
import { jobIdForEvent } from './event-enqueue.js';
import { creationJobId, eventJobId } from './jobs.js';

const tenantId = '00000000-0000-4000-8000-000000000001';
const otherTenant = '00000000-0000-4000-8000-000000000002';

describe('jobIdForEvent', () => {
  it('gives request.created one job per (tenant, request id), whatever the event id', () => {
    const webhook = jobIdForEvent({ tenantId, event: 'request.created', eventId: 'evt-1', requestId: '42' });
    const sweep = jobIdForEvent({ tenantId, event: 'request.created', eventId: 'sweep-42', requestId: '42' });
    expect(webhook).toBe(sweep);
    expect(webhook).toBe(creationJobId(tenantId, '42'));
    expect(jobIdForEvent({ tenantId, event: 'request.created', eventId: 'evt-1', requestId: '43' })).not.toBe(
      webhook,
    );
    expect(
      jobIdForEvent({ tenantId: otherTenant, event: 'request.created', eventId: 'evt-1', requestId: '42' }),
    ).not.toBe(webhook);
  });

  it('gives resolve and close events one job per (tenant, event id), as before', () => {
    const first = jobIdForEvent({ tenantId, event: 'request.resolved', eventId: 'r-1', requestId: '42' });
    expect(first).toBe(eventJobId(tenantId, 'r-1'));
    expect(jobIdForEvent({ tenantId, event: 'request.resolved', eventId: 'r-2', requestId: '42' })).not.toBe(
      first,
    );
    // BullMQ reserves ':' in custom ids; neither kind of id has one.
    expect(first).not.toContain(':');
    expect(jobIdForEvent({ tenantId, event: 'request.created', eventId: 'x', requestId: '1' })).not.toContain(
      ':',
    );
  });
});
