import { addHistory, feedback, withTenant } from '@ai-agents/db';
import { waitFor } from '@ai-agents/sandbox';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

let stack: Stack;
let sdp: Stack['sdp'];
let llm: Stack['llm'];

const post = (body: object) => stack.post(body);
const enhancementOf = (eventId: string) => stack.row(eventId);

beforeAll(async () => {
  stack = await startStack();
  ({ sdp, llm } = stack);
  const { database, tenantId } = stack;
  await addHistory({ db: database.db, tenantId: tenantId }, [
    {
      externalId: '9001',
      subject: 'Outlook prompts for password repeatedly after mailbox migration',
      description: 'User mailbox moved to Exchange Online; Outlook keeps asking for credentials.',
      resolution: 'Cleared cached credentials in Credential Manager and re-created the Outlook profile.',
      category: 'Email',
    },
    {
      externalId: '9002',
      subject: 'Outlook password prompt loop',
      description: 'Outlook asks for the password again and again.',
      resolution: 'Enabled modern authentication registry key.',
      category: 'Email',
    },
    {
      externalId: '9003',
      subject: 'Printer on floor 3 jams',
      resolution: 'Replaced the fuser.',
      category: 'Hardware',
    },
  ]);

  await stack.startApi();
  await stack.startWorker();
});

afterAll(() => stack?.close());

beforeEach(() => {
  llm.clearFaults();
  sdp.clearFaults();
});

describe('signed webhook → one internal note', () => {
  it('posts exactly one note that cites the similar resolved tickets', async () => {
    const request = sdp.addRequest({
      subject: 'Outlook keeps asking for password after the mailbox moved',
      description:
        '<p>Since the mailbox migration yesterday, <b>Outlook</b> asks for my password every few minutes.</p>',
    });
    const res = await post({ event: 'request.created', event_id: 'evt-e2e-1', request: { id: request.id } });
    expect(res.status).toBe(202);

    const [note] = await waitFor(
      () => (sdp.notes(request.id).length > 0 ? sdp.notes(request.id) : undefined),
      15_000,
      'the note',
    );
    expect(note?.show_to_requester).toBe(false);
    expect(note?.description).toContain('AI investigation');
    expect(note?.description).toContain('#9001');
    expect(note?.description).not.toContain('#9003');

    const row = await waitFor(async () => {
      const r = await enhancementOf('evt-e2e-1');
      return r?.status === 'posted' ? r : undefined;
    });
    expect(row).toMatchObject({ noteId: note?.id, fallback: false, sdpRequestId: request.id });
    expect(row.tokensIn).toBeGreaterThan(0);
    // Give a duplicate job time to show up if one existed.
    await new Promise((r) => setTimeout(r, 300));
    expect(sdp.notes(request.id)).toHaveLength(1);
  });

  it('a duplicate delivery produces one job and one note', async () => {
    const request = sdp.addRequest({
      subject: 'Outlook password prompt again',
      description: 'Same as before',
    });
    const body = { event: 'request.created', event_id: 'evt-e2e-dup', request: { id: request.id } };
    const responses = await Promise.all([post(body), post(body), post(body)]);
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ job_id: string }>;
    expect(new Set(bodies.map((b) => b.job_id)).size).toBe(1);

    await waitFor(
      async () => ((await enhancementOf('evt-e2e-dup'))?.status === 'posted' ? true : undefined),
      15_000,
    );
    await post(body); // and once more after it is done
    await new Promise((r) => setTimeout(r, 500));
    expect(sdp.notes(request.id)).toHaveLength(1);
  });

  it('when the LLM keeps failing, posts a context-only note instead of nothing', async () => {
    llm.setFault({ status: 500 });
    const request = sdp.addRequest({ subject: 'Outlook asks for password', description: 'password prompt' });
    await post({ event: 'request.created', event_id: 'evt-e2e-llm-down', request: { id: request.id } });
    const [note] = await waitFor(
      () => (sdp.notes(request.id).length ? sdp.notes(request.id) : undefined),
      20_000,
      'the fallback note',
    );
    expect(note?.description).toContain('AI summary unavailable');
    expect(note?.description).toContain('#9001');
    const row = await waitFor(async () => {
      const r = await enhancementOf('evt-e2e-llm-down');
      return r?.status === 'posted' ? r : undefined;
    });
    expect(row).toMatchObject({ fallback: true, tokensIn: null });
  });

  it('retries ServiceDesk Plus 503s and posts once it recovers', async () => {
    sdp.setFault('getRequest', { failNext: 2, status: 503 });
    const request = sdp.addRequest({ subject: 'Outlook password', description: 'prompt' });
    await post({ event: 'request.created', event_id: 'evt-e2e-sdp-503', request: { id: request.id } });
    const row = await waitFor(
      async () => {
        const r = await enhancementOf('evt-e2e-sdp-503');
        return r?.status === 'posted' ? r : undefined;
      },
      25_000,
      'the retried job',
    );
    expect(row.attempts).toBe(3);
    expect(sdp.notes(request.id)).toHaveLength(1);
  });

  it('does not retry a request ServiceDesk Plus does not know, and records why', async () => {
    await post({ event: 'request.created', event_id: 'evt-e2e-404', request: { id: '99999999' } });
    const row = await waitFor(async () => {
      const r = await enhancementOf('evt-e2e-404');
      return r?.status === 'failed' ? r : undefined;
    }, 15_000);
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(/99999999/);
  });
});

describe('feedback from the note', () => {
  it("the note's link token, minted by the worker, is accepted by the API", async () => {
    const request = sdp.addRequest({ subject: 'Outlook password prompt', description: 'again' });
    await post({ event: 'request.created', event_id: 'evt-e2e-feedback', request: { id: request.id } });
    const row = await waitFor(async () => {
      const r = await enhancementOf('evt-e2e-feedback');
      return r?.status === 'posted' ? r : undefined;
    }, 15_000);
    const html = sdp.notes(request.id)[0]?.description ?? '';
    const token = /[?&]token=([^&"]+)/.exec(html)?.[1];
    expect(token).toBeDefined();
    const res = await fetch(`${stack.apiUrl}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: decodeURIComponent(token ?? ''),
        helpful: false,
        comment: 'wrong cause',
      }),
    });
    expect(res.status).toBe(201);
    const saved = await withTenant(stack.database.db, stack.tenantId, (tx) =>
      tx.select().from(feedback).where(eq(feedback.enhancementId, row.id)),
    );
    expect(saved).toEqual([
      expect.objectContaining({ helpful: false, comment: 'wrong cause', source: 'link' }),
    ]);
  });
});
