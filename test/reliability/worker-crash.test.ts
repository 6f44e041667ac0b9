import { startTcpProxy, type TcpProxy, waitFor } from '@ai-agents/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { killAfterPosting } from '../kit/crash-after-posting.js';
import { type Stack, startStack } from '../kit/stack.js';

// The worker runs as a real process (apps/worker/dist/main.js) and is SIGKILLed with jobs at a chosen
// stage; a fresh process must finish every job through stalled-job recovery with exactly one note each.
// WORKER_LOCK_DURATION_MS is 2 s in these tests, so a dead worker's jobs are recovered within seconds.

let stack: Stack;
let sdpProxy: TcpProxy;
let pgProxy: TcpProxy;
let burst = 0;
const WORDS = ['printer', 'outlook', 'vpn', 'teams', 'excel', 'wifi', 'badge', 'monitor'];

beforeAll(async () => {
  stack = await startStack();
  // ServiceDesk Plus and Postgres sit behind proxies, so a test can hold their answers back.
  sdpProxy = await startTcpProxy(Number(new URL(stack.sdp.url).port));
  pgProxy = await startTcpProxy(Number(new URL(stack.env.DATABASE_URL as string).port || 5432));
  const owner = new pg.Client({ connectionString: stack.testDb.ownerUrl });
  await owner.connect();
  await owner.query('update connections set sdp_base_url = $1', [viaProxy(stack.sdp.url, sdpProxy)]);
  await owner.end();
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
  await sdpProxy?.close();
  await pgProxy?.close();
});

beforeEach(() => {
  stack.sdp.clearFaults();
  stack.llm.clearFaults();
  sdpProxy.holdResponses(false);
  pgProxy.holdResponses(false);
  burst++;
});

function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

async function sendBurst(count: number) {
  const tickets = [];
  for (let i = 0; i < count; i++) {
    // Distinct words per ticket: near-identical subjects would be grouped as an alert storm.
    const { request, res } = await stack.ticket(
      `${WORDS[burst % WORDS.length]} ${WORDS[i % WORDS.length]} problem on the laptop`,
      `evt-crash-${burst}-${i}`,
    );
    expect(res.status).toBe(202);
    tickets.push({ requestId: request.id, eventId: `evt-crash-${burst}-${i}` });
  }
  return tickets;
}

async function expectExactlyOneNoteEach(tickets: { requestId: string; eventId: string }[]) {
  const rows = await stack.settled(
    tickets.map((t) => t.eventId),
    40_000,
  );
  expect(rows.map((r) => r.status)).toEqual(tickets.map(() => 'posted'));
  for (const t of tickets) expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
}

/** The killed worker reaches Postgres through the proxy; its successor connects directly. */
function workerEnv(extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: viaProxy(stack.env.DATABASE_URL as string, pgProxy),
    ...extra,
  };
}

describe('worker SIGKILLed mid-job', () => {
  it('before the LLM call (while fetching the ticket): the jobs complete after a restart', async () => {
    stack.sdp.setFault('getRequest', { latencyMs: 60_000 });
    const first = await stack.spawnWorker(workerEnv());
    const tickets = await sendBurst(4);
    await waitFor(
      async () =>
        (await stack.rows()).filter((r) => r.eventId.startsWith(`evt-crash-${burst}-`)).length === 4
          ? true
          : undefined,
      15_000,
      'the jobs to be claimed',
    );
    expect(stack.llm.calls).toHaveLength(0);
    await first.kill('SIGKILL');
    stack.sdp.clearFaults();

    const second = await stack.spawnWorker();
    await expectExactlyOneNoteEach(tickets);
    expect(stack.llm.calls).toHaveLength(4);
    await second.kill('SIGTERM');
  });

  it('after the note was posted, before it was recorded: the retry finds the note and posts none', async () => {
    const llmCallsBefore = stack.llm.calls.length;
    // Slow LLM answers give the test time to hold ServiceDesk Plus' answers before the notes go out.
    stack.llm.setFault({ latencyMs: 1_500 });
    const first = await stack.spawnWorker(workerEnv());
    const tickets = await sendBurst(4);
    // Every ticket was read (the LLM, 1.5 s slow, is thinking): from now on SDP's answers are held.
    await killAfterPosting(stack, sdpProxy, first, tickets);
    stack.llm.clearFaults();
    expect(
      (await stack.rows()).filter((r) => r.eventId.startsWith(`evt-crash-${burst}-`)).map((r) => r.status),
    ).toEqual(['posting', 'posting', 'posting', 'posting']);

    const second = await stack.spawnWorker();
    await expectExactlyOneNoteEach(tickets);
    // The recovered jobs found their notes: no second LLM call either.
    expect(stack.llm.calls.length - llmCallsBefore).toBe(4);
    await second.kill('SIGTERM');
  });

  it('before the database commit (Postgres answers held back): the jobs complete after a restart', async () => {
    const first = await stack.spawnWorker(workerEnv());
    pgProxy.holdResponses(true);
    const tickets = await sendBurst(4);
    // The claim transactions are sent but never acknowledged.
    await new Promise((r) => setTimeout(r, 1_000));
    await first.kill('SIGKILL');
    pgProxy.holdResponses(false);
    expect(stack.sdp.notes().filter((n) => tickets.some((t) => t.requestId === n.requestId))).toHaveLength(0);

    const second = await stack.spawnWorker();
    await expectExactlyOneNoteEach(tickets);
    await second.kill('SIGTERM');
  });
});
