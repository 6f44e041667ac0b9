import { STRICT_QUIRKS, startTcpProxy, type TcpProxy } from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAfterPosting } from '../kit/crash-after-posting.js';
import { type Stack, startStack, TECHNICIAN_KEY } from '../kit/stack.js';

// worker-crash.test.ts's "posted, not recorded" crash, on a strict on-premises portal (every quirk of
// the sandbox: its note LIST carries no description, 18-digit ids, documented note fields only). The
// retry cannot see its marker in the list: it must read the notes by id, and still post no second note.

let stack: Stack;
let sdpProxy: TcpProxy;
const WORDS = ['printer', 'outlook', 'vpn'];

beforeAll(async () => {
  stack = await startStack({
    sdp: { technicianKeys: [TECHNICIAN_KEY], edition: 'onprem', quirks: STRICT_QUIRKS },
  });
  // ServiceDesk Plus sits behind a proxy, so the test can hold its answers back.
  sdpProxy = await startTcpProxy(Number(new URL(stack.sdp.url).port));
  const owner = new pg.Client({ connectionString: stack.testDb.ownerUrl });
  await owner.connect();
  const viaProxy = new URL(stack.sdp.url);
  viaProxy.port = String(sdpProxy.port);
  await owner.query('update connections set sdp_base_url = $1', [viaProxy.toString()]);
  await owner.end();
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
  await sdpProxy?.close();
});

describe('worker SIGKILLed after posting, on a portal whose note list has no descriptions', () => {
  it('the retry reads the notes by id, finds its own, and posts none', async () => {
    const tickets: { requestId: string; eventId: string }[] = [];
    for (const [i, word] of WORDS.entries()) {
      // A technician's note is already on the ticket: the list shows two notes without descriptions.
      const eventId = `evt-silent-${i}`;
      const { request, res } = await stack.ticket(`${word} problem on the laptop`, eventId);
      expect(res.status).toBe(202);
      expect(request.id).toMatch(/^\d{18}$/);
      stack.sdp.addNote(request.id, { description: 'Asked the user to reboot.' });
      tickets.push({ requestId: request.id, eventId });
    }
    stack.llm.setFault({ latencyMs: 1_500 });
    const first = await stack.spawnWorker();
    await killAfterPosting(stack, sdpProxy, first, tickets, 2);
    stack.llm.clearFaults();
    expect((await stack.rows()).map((r) => r.status)).toEqual(['posting', 'posting', 'posting']);

    const second = await stack.spawnWorker();
    const rows = await stack.settled(
      tickets.map((t) => t.eventId),
      40_000,
    );
    expect(rows.map((r) => r.status)).toEqual(['posted', 'posted', 'posted']);
    for (const t of tickets) {
      const notes = stack.sdp.notes(t.requestId);
      expect(notes).toHaveLength(2);
      // The recorded note is the one the first attempt posted, read back by its 18-digit id.
      const row = rows.find((r) => r.eventId === t.eventId);
      expect(row?.noteId).toBe(notes[1]?.id);
      expect(
        stack.sdp.calls.some((c) => c.path.endsWith(`/requests/${t.requestId}/notes/${notes[1]?.id}`)),
      ).toBe(true);
    }
    expect(stack.llm.calls).toHaveLength(3);
    await second.kill('SIGTERM');
  });
});
