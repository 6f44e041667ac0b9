import { type FakeServiceDesk, startFakeServiceDesk } from '@ai-agents/sandbox';
import { createServiceDeskClient, type ServiceDeskClient } from '@ai-agents/servicedesk';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * listCreatedRequests, the reconcile sweep's list call, against the strict sandbox on both
 * editions: every request created after the cursor, whatever its status, oldest first, paged.
 */

const KEY = 'onprem-technician-key-created';
const OAUTH = {
  clientId: '1000.CREATEDCLIENT',
  clientSecret: 'created-client-secret-0123456789',
  refreshToken: '1000.created-refresh-token-0123456789',
};
const running: FakeServiceDesk[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function portal(options: Parameters<typeof startFakeServiceDesk>[0] = {}) {
  const sdp = await startFakeServiceDesk({ technicianKeys: [KEY], oauth: OAUTH, ...options });
  running.push(sdp);
  return sdp;
}

const clients: Record<'onprem' | 'cloud', (sdp: FakeServiceDesk) => ServiceDeskClient> = {
  onprem: (sdp) =>
    createServiceDeskClient({ baseUrl: sdp.url, auth: { type: 'onprem', technicianKey: KEY } }),
  cloud: (sdp) =>
    createServiceDeskClient({
      baseUrl: `${sdp.url}/app/itdesk`,
      auth: { type: 'cloud', ...OAUTH, accountsUrl: sdp.accountsUrl },
    }),
};

const at = (ms: number) => ({ value: String(ms), display_value: new Date(ms).toISOString() });

describe.each(['onprem', 'cloud'] as const)('listCreatedRequests (%s)', (edition) => {
  it('lists the requests created after `since`, any status, oldest first, in pages', async () => {
    const sdp = await portal();
    // Stored out of creation order: the portal's order is the call's sort, not the insertion.
    sdp.addRequest({ id: '9003', subject: 'Third', created_time: at(3_000) });
    sdp.addRequest({ id: '9001', subject: 'Before the cursor', created_time: at(1_000) });
    sdp.addRequest({
      id: '9004',
      subject: 'Closed already',
      status: { name: 'Closed' },
      created_time: at(4_000),
    });
    sdp.addRequest({ id: '9002', subject: 'Second', created_time: at(2_000) });
    const client = clients[edition](sdp);

    const first = await client.listCreatedRequests({ since: new Date(1_000), startIndex: 1, rowCount: 2 });
    expect(first.requests.map((r) => r.id)).toEqual(['9002', '9003']);
    expect(first.hasMore).toBe(true);
    const second = await client.listCreatedRequests({ since: new Date(1_000), startIndex: 3, rowCount: 2 });
    expect(second.requests.map((r) => r.id)).toEqual(['9004']);
    expect(second.hasMore).toBe(false);
  });

  it('asks for at most 100 rows, which the portal accepts', async () => {
    const sdp = await portal();
    sdp.addRequest({ id: '9101', subject: 'One', created_time: at(5_000) });
    const page = await clients[edition](sdp).listCreatedRequests({
      since: new Date(0),
      startIndex: 1,
      rowCount: 500,
    });
    expect(page.requests.map((r) => r.id)).toEqual(['9101']);
  });
});

describe('the fake refuses a list_info the real one refuses', () => {
  async function list(sdp: FakeServiceDesk, listInfo: unknown) {
    const query = encodeURIComponent(JSON.stringify({ list_info: listInfo }));
    const res = await fetch(`${sdp.url}/api/v3/requests?input_data=${query}`, {
      headers: { authtoken: KEY, accept: 'application/vnd.manageengine.sdp.v3+json' },
    });
    const body = (await res.json()) as { response_status: { messages?: { field?: string }[] } };
    return { status: res.status, field: body.response_status.messages?.[0]?.field };
  }

  it('answers 400/4001 naming the field for a bad order, too many rows or an unreadable time', async () => {
    const sdp = await portal();
    expect(await list(sdp, { row_count: 10, sort_field: 'created_time', sort_order: 'up' })).toEqual({
      status: 400,
      field: 'sort_order',
    });
    expect(await list(sdp, { row_count: 101 })).toEqual({ status: 400, field: 'row_count' });
    const byDate = { field: 'created_time', condition: 'greater than', value: '2026-12-01' };
    expect(await list(sdp, { row_count: 10, search_criteria: [byDate] })).toEqual({
      status: 400,
      field: 'search_criteria',
    });
  });
});
