import { findSimilarTickets, ticketHistory, withTenant } from '@ai-agents/db';
import { waitFor } from '@ai-agents/sandbox';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

let stack: Stack;
let sdp: Stack['sdp'];

const post = (body: object) => stack.post(body);

function historyRow(externalId: string) {
  return withTenant(stack.database.db, stack.tenantId, async (tx) => {
    const [row] = await tx.select().from(ticketHistory).where(eq(ticketHistory.externalId, externalId));
    return row;
  });
}

beforeAll(async () => {
  // No LLM call is made for resolved tickets: nothing listens where the services would send one.
  stack = await startStack({
    tenant: { slug: 'northwind', name: 'Northwind' },
    env: { OPENAI_API_KEY: 'unused', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
  });
  sdp = stack.sdp;
  await stack.startApi();
  await stack.startWorker();
});

afterAll(() => stack?.close());

describe('request.resolved / request.closed webhook → tenant history', () => {
  it('adds the resolved ticket with its resolution, category, technician and time, and posts no note', async () => {
    const resolvedAt = Date.UTC(2026, 0, 15, 9, 30);
    const request = sdp.addRequest({
      subject: 'AnyConnect VPN drops every ten minutes',
      description: '<p>The <b>VPN</b> disconnects from home every ten minutes.</p>',
      status: { name: 'Resolved' },
      category: { name: 'Network' },
      technician: { name: 'Ana Lima' },
      resolved_time: { value: String(resolvedAt) },
      resolution: {
        content: '<p>Upgraded the AnyConnect client to 5.1 and disabled Wi-Fi power saving.</p>',
      },
    });
    const res = await post({
      event: 'request.resolved',
      event_id: 'evt-resolved-1',
      request: { id: request.id },
    });
    expect(res.status).toBe(202);

    const row = await waitFor(() => historyRow(request.id), 15_000);
    expect(row).toMatchObject({
      subject: 'AnyConnect VPN drops every ten minutes',
      description: 'The VPN disconnects from home every ten minutes.',
      resolution: 'Upgraded the AnyConnect client to 5.1 and disabled Wi-Fi power saving.',
      category: 'Network',
      technician: 'Ana Lima',
    });
    expect(row?.resolvedAt?.getTime()).toBe(resolvedAt);
    // The next similar ticket finds it.
    const similar = await findSimilarTickets(
      { db: stack.database.db, tenantId: stack.tenantId },
      'vpn keeps disconnecting',
      { limit: 5 },
    );
    expect(similar.map((t) => t.externalId)).toEqual([request.id]);
    expect(sdp.notes(request.id)).toEqual([]);
    expect(sdp.calls.some((c) => c.path.endsWith(`/requests/${request.id}/resolutions`))).toBe(true);
  });

  it('refreshes the same history row when the ticket is closed later', async () => {
    const request = sdp.addRequest({
      subject: 'Shared drive S: not mapped at logon',
      status: { name: 'Closed' },
      resolution: { content: 'Fixed the GPO drive map item.' },
    });
    await post({ event: 'request.resolved', event_id: 'evt-r-2', request: { id: request.id } });
    await waitFor(() => historyRow(request.id), 15_000);
    await post({ event: 'request.closed', event_id: 'evt-c-2', request: { id: request.id } });
    await waitFor(
      async () =>
        sdp.calls.filter((c) => c.path.endsWith(`/requests/${request.id}/resolutions`)).length >= 2
          ? true
          : undefined,
      15_000,
    );
    const rows = await withTenant(stack.database.db, stack.tenantId, (tx) =>
      tx.select().from(ticketHistory).where(eq(ticketHistory.externalId, request.id)),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.resolution).toBe('Fixed the GPO drive map item.');
  });
});
