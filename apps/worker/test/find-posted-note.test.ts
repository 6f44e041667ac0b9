import { type FakeServiceDesk, STRICT_QUIRKS, startFakeServiceDesk } from '@ai-agents/sandbox';
import { createServiceDeskClient } from '@ai-agents/servicedesk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPostedNote, MAX_NOTE_FETCHES } from '../src/pipeline/post-note.js';
import { noteMarker } from '../src/pipeline/render-note.js';

// findPostedNote against a portal whose note list has descriptions and one whose list has none.
const KEY = 'find-posted-note-key';
const ENHANCEMENT = '7d1c2b9e-0000-4000-8000-000000000001';
let silent: FakeServiceDesk;
let plain: FakeServiceDesk;

beforeAll(async () => {
  [silent, plain] = await Promise.all([
    startFakeServiceDesk({ technicianKeys: [KEY], edition: 'onprem', quirks: STRICT_QUIRKS }),
    startFakeServiceDesk({ technicianKeys: [KEY], edition: 'onprem' }),
  ]);
});
afterAll(() => Promise.all([silent.close(), plain.close()]));

const client = (sdp: FakeServiceDesk) =>
  createServiceDeskClient({ baseUrl: sdp.url, auth: { type: 'onprem', technicianKey: KEY } });
const noteReads = (sdp: FakeServiceDesk, requestId: string) =>
  sdp.calls.filter((c) => c.method === 'GET' && c.path.startsWith(`/api/v3/requests/${requestId}/notes/`));

/** A ticket with our note (unless `ours` is false) followed by `after` technicians' notes. */
function ticket(sdp: FakeServiceDesk, after: number, ours = true, showToRequester = false) {
  const { id } = sdp.addRequest({ subject: 'Printer offline' });
  const posted = ours
    ? sdp.addNote(id, { description: `<p>…</p><p>Ref ${noteMarker(ENHANCEMENT)}</p>` })
    : null;
  for (let i = 0; i < after; i++)
    sdp.addNote(id, { description: `Technician note ${i}`, show_to_requester: showToRequester });
  return { id, noteId: posted?.id ?? null };
}

describe('findPostedNote', () => {
  it('finds our note in a list with descriptions without reading any note by id', async () => {
    const { id, noteId } = ticket(plain, 3);
    expect(await findPostedNote(client(plain), id, ENHANCEMENT)).toBe(noteId);
    expect(noteReads(plain, id)).toHaveLength(0);
  });

  it('finds our note in a list without descriptions by reading the newest notes by id', async () => {
    const { id, noteId } = ticket(silent, 2);
    expect(await findPostedNote(client(silent), id, ENHANCEMENT)).toBe(noteId);
    // Newest first: the two technicians' notes, then ours.
    expect(noteReads(silent, id)).toHaveLength(3);
  });

  it('gives up after a bounded number of reads when none is ours', async () => {
    const { id } = ticket(silent, MAX_NOTE_FETCHES + 4, false);
    expect(await findPostedNote(client(silent), id, ENHANCEMENT)).toBeNull();
    expect(noteReads(silent, id)).toHaveLength(MAX_NOTE_FETCHES);
  });

  it('never reads notes shown to the requester: ours never are', async () => {
    const { id, noteId } = ticket(silent, MAX_NOTE_FETCHES + 2, true, true);
    expect(await findPostedNote(client(silent), id, ENHANCEMENT)).toBe(noteId);
    expect(noteReads(silent, id)).toHaveLength(1);
  });
});
