import { type FakeServiceDesk, type RefusalShapes, startFakeServiceDesk } from '@ai-agents/sandbox';
import { createServiceDeskClient } from '@ai-agents/servicedesk';
import { afterEach, describe, expect, it } from 'vitest';
import { failure } from '../test/failure.js';

// SDP refusals in the shapes builds answer besides the documented one (refusal-shapes.ts of the fake):
// whatever the shape, the error keeps every field SDP named, its code and its message.

const KEY = 'refusals-technician-key';
const running: FakeServiceDesk[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function onprem(refusals?: RefusalShapes) {
  const sdp = await startFakeServiceDesk({
    edition: 'onprem',
    technicianKeys: [KEY],
    ...(refusals ? { refusals } : {}),
  });
  running.push(sdp);
  const client = createServiceDeskClient({ baseUrl: sdp.url, auth: { type: 'onprem', technicianKey: KEY } });
  return { sdp, client };
}

describe('SDP refusals keep everything they name', () => {
  it.each<[string, RefusalShapes | undefined]>([
    ['the documented shape (one message per field)', undefined],
    ['one message naming every field in `fields`', { fields: 'fields-array' }],
    ['the code only inside messages', { codes: 'messages-only' }],
    ['both', { fields: 'fields-array', codes: 'messages-only' }],
  ])('%s', async (_shape, refusals) => {
    const { sdp, client } = await onprem(refusals);
    const { id } = sdp.addRequest({ subject: 'Two wrong names' });
    const error = await failure(client.updateRequest(id, { category: 'No such', priority: 'Neither' }));
    expect(error).toMatchObject({
      kind: 'bad_request',
      httpStatus: 400,
      sdpStatusCode: 4001,
      retryable: false,
    });
    expect(error.sdpFields).toEqual(['category', 'priority']);
    expect(error.message).toContain('Value given for category is not valid');
    expect(error.message).toContain('[fields category, priority]');
    expect(sdp.request(id)?.category).toBeUndefined();
  });
});
