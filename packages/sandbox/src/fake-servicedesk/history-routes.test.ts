import { type FakeServiceDesk, startFakeServiceDesk } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let sdp: FakeServiceDesk;
const AUTH = { authtoken: 'sandbox-technician-key', accept: 'application/vnd.manageengine.sdp.v3+json' };

async function get(path: string, listInfo?: unknown) {
  const query = listInfo ? `?input_data=${encodeURIComponent(JSON.stringify({ list_info: listInfo }))}` : '';
  const res = await fetch(`${sdp.url}${path}${query}`, { headers: AUTH });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  sdp = await startFakeServiceDesk();
  sdp.addRequest({ id: 'r1', subject: 'Open one', status: { name: 'Open' } });
  sdp.addRequest({
    id: 'r2',
    subject: 'Resolved one',
    status: { name: 'Resolved' },
    resolved_time: { value: '2000' },
    resolution: { content: 'Rebooted' },
  });
  sdp.addRequest({
    id: 'r3',
    subject: 'Closed one',
    status: { name: 'Closed' },
    resolved_time: { value: '1000' },
  });
  sdp.addSolution({ id: 's1', title: 'Reset a VPN token', description: 'Steps for the VPN token' });
  sdp.addSolution({ id: 's2', title: 'Printer drivers', description: 'Install the driver' });
});
afterAll(() => sdp.close());

describe('fake ServiceDesk Plus: resolutions, filtered request lists, solutions', () => {
  it('answers a request resolution, empty content when it has none, 404 for an unknown request', async () => {
    expect((await get('/api/v3/requests/r2/resolutions')).body.resolution).toEqual({ content: 'Rebooted' });
    expect((await get('/api/v3/requests/r1/resolutions')).body.resolution).toEqual({ content: '' });
    expect((await get('/api/v3/requests/nope/resolutions')).status).toBe(404);
  });

  it('filters requests by search_criteria (status is …, AND resolved_time greater than …)', async () => {
    const ids = async (criteria: unknown[]) =>
      (
        (
          await get('/api/v3/requests', {
            row_count: 10,
            filter_by: { name: 'All_Requests' },
            search_criteria: criteria,
          })
        ).body.requests as {
          id: string;
        }[]
      ).map((r) => r.id);
    const resolved = { field: 'status.name', condition: 'is', values: ['Resolved', 'Closed'] };
    expect(await ids([resolved])).toEqual(['r2', 'r3']);
    expect(
      await ids([
        resolved,
        { field: 'resolved_time', condition: 'greater than', value: '1500', logical_operator: 'AND' },
      ]),
    ).toEqual(['r2']);
    // No criteria, All_Requests view: every request.
    const all = await get('/api/v3/requests', { filter_by: { name: 'All_Requests' } });
    expect((all.body.requests as unknown[]).length).toBe(3);
    // The default view, like a technician's, hides resolved and closed requests.
    expect((await get('/api/v3/requests', { search_criteria: [resolved] })).body.requests).toEqual([]);
    expect(((await get('/api/v3/requests')).body.requests as { id: string }[]).map((r) => r.id)).toEqual([
      'r1',
    ]);
    // A view name the portal does not have is refused as an input error on filter_by.
    const unknown = await get('/api/v3/requests', { filter_by: { name: 'No_Such_View' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('"field":"filter_by"');
  });

  it('searches solutions with OR-ed contains criteria and fails on a listSolutions fault', async () => {
    const criteria = [
      { field: 'title', condition: 'contains', value: 'vpn' },
      { field: 'description', condition: 'contains', value: 'vpn', logical_operator: 'OR' },
    ];
    const { body } = await get('/api/v3/solutions', { row_count: 10, search_criteria: criteria });
    expect((body.solutions as { id: string }[]).map((s) => s.id)).toEqual(['s1']);
    sdp.setFault('listSolutions', { failNext: 1, status: 500 });
    expect((await get('/api/v3/solutions', { search_criteria: criteria })).status).toBe(500);
    expect((await get('/api/v3/solutions', { search_criteria: criteria })).status).toBe(200);
  });
});
