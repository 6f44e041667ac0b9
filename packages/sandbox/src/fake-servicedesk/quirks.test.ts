import { type FakeServiceDesk, STRICT_QUIRKS, startFakeServiceDesk } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A strict portal (every quirk of quirks.ts) and a default one side by side: the strict one makes the
// shapes stricter real portals make; the default one keeps refusing what it refused before.
const HEADERS = { authtoken: 'sandbox-technician-key', accept: 'application/vnd.manageengine.sdp.v3+json' };
let strict: FakeServiceDesk;
let plain: FakeServiceDesk;

beforeAll(async () => {
  [strict, plain] = await Promise.all([
    startFakeServiceDesk({ edition: 'onprem', quirks: STRICT_QUIRKS }),
    startFakeServiceDesk({ edition: 'onprem' }),
  ]);
});
afterAll(() => Promise.all([strict.close(), plain.close()]));

async function call(portal: FakeServiceDesk, path: string, input?: unknown) {
  const res = await fetch(`${portal.url}/api/v3${path}`, {
    method: input === undefined ? 'GET' : 'POST',
    headers:
      input === undefined ? HEADERS : { ...HEADERS, 'content-type': 'application/x-www-form-urlencoded' },
    ...(input === undefined
      ? {}
      : { body: new URLSearchParams({ input_data: JSON.stringify(input) }).toString() }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

const refusal = (body: Record<string, unknown>) =>
  (body.response_status as { messages: Array<{ status_code: number; message: string; field?: string }> })
    .messages[0];

const FIELDS = {
  description: 'x',
  show_to_requester: false,
  mark_first_response: false,
  add_to_linked_requests: false,
};

describe('the strict sandbox portal', () => {
  it('on-premises refuses notify_technician, which only the Cloud page documents', async () => {
    const { id } = strict.addRequest({ subject: 'Fields' });
    const refused = await call(strict, `/requests/${id}/notes`, {
      note: { ...FIELDS, notify_technician: false },
    });
    expect(refused.status).toBe(400);
    expect(refusal(refused.body)).toEqual({
      status_code: 4012,
      type: 'failed',
      message: 'EXTRA_KEY_FOUND_IN_JSON',
      field: 'notify_technician',
    });
    expect((await call(strict, `/requests/${id}/notes`, { note: FIELDS })).status).toBe(200);
    expect(strict.notes(id)).toHaveLength(1);
    // The default portal takes it, as before.
    const other = plain.addRequest({ subject: 'Fields' });
    expect(
      (await call(plain, `/requests/${other.id}/notes`, { note: { ...FIELDS, notify_technician: false } }))
        .status,
    ).toBe(200);
  });

  it('refuses the wrong wrapper without naming it: 4012 "Value for description is mandatory"', async () => {
    const { id } = strict.addRequest({ subject: 'Wrapper' });
    const refused = await call(strict, `/requests/${id}/notes`, { request_note: FIELDS });
    expect(refused.status).toBe(400);
    expect(refusal(refused.body)).toMatchObject({
      status_code: 4012,
      message: 'Value for description is mandatory',
      field: 'description',
    });
    const named = await call(plain, `/requests/${plain.addRequest({ subject: 'W' }).id}/notes`, {
      request_note: FIELDS,
    });
    expect(refusal(named.body)).toMatchObject({ status_code: 4012, field: 'request_note' });
  });

  it('can be an old on-prem build: request_note only, and still no notify_technician in it', async () => {
    const old = await startFakeServiceDesk({
      edition: 'onprem',
      noteWrappers: { onprem: 'request_note' },
      quirks: ['documented-note-fields', 'unnamed-wrapper-refusal'],
    });
    try {
      const { id } = old.addRequest({ subject: 'Old build' });
      const path = `/requests/${id}/notes`;
      const cloudFields = await call(old, path, { request_note: { ...FIELDS, notify_technician: false } });
      expect(refusal(cloudFields.body)).toMatchObject({ status_code: 4012, field: 'notify_technician' });
      const otherWrapper = await call(old, path, { note: FIELDS });
      expect(refusal(otherWrapper.body)).toMatchObject({ status_code: 4012, field: 'description' });
      expect(old.notes(id)).toHaveLength(0);
      expect((await call(old, path, { request_note: FIELDS })).status).toBe(200);
      expect(old.notes(id)).toHaveLength(1);
    } finally {
      await old.close();
    }
  });

  it('gives requests and notes 18-digit ids, written as JSON numbers', async () => {
    const { id } = strict.addRequest({ subject: 'Long ids' });
    expect(id).toMatch(/^\d{18}$/);
    const posted = await call(strict, `/requests/${id}/notes`, { note: FIELDS });
    const noteId = strict.notes(id)[0]?.id ?? '';
    expect(noteId).toMatch(/^\d{18}$/);
    expect(posted.text).toContain(`"id":${noteId}`);
    expect((await call(strict, `/requests/${id}`)).text).toContain(`"id":${id},`);
  });

  it('answers an unknown request id with 400/4001 instead of 404/4007', async () => {
    const strictAnswer = await call(strict, '/requests/999999');
    expect(strictAnswer.status).toBe(400);
    expect(refusal(strictAnswer.body)).toMatchObject({ status_code: 4001, field: 'id' });
    const plainAnswer = await call(plain, '/requests/999999');
    expect(plainAnswer.status).toBe(404);
    expect(refusal(plainAnswer.body)).toMatchObject({ status_code: 4007 });
  });

  it('lists notes without their description; GET of one note has it', async () => {
    const { id } = strict.addRequest({ subject: 'Silent list' });
    const note = strict.addNote(id, { description: 'Only by id' });
    const list = await call(strict, `/requests/${id}/notes`);
    const [listed] = list.body.notes as Array<Record<string, unknown>>;
    expect(listed).not.toHaveProperty('description');
    const one = await call(strict, `/requests/${id}/notes/${note.id}`);
    expect(one.status).toBe(200);
    expect((one.body.note as { description: string }).description).toBe('Only by id');
    expect((await call(strict, `/requests/${id}/notes/1`)).status).toBe(400);
    expect((await call(plain, `/requests/${plain.addRequest({ subject: 'n' }).id}/notes/1`)).status).toBe(
      404,
    );
  });
});
