import { type NodeProcess, type TcpProxy, waitFor } from '@ai-agents/sandbox';
import type { Stack } from './stack.js';

/**
 * The crash between "posted to ServiceDesk Plus" and "recorded in Postgres": once the worker has read
 * every ticket (a slow LLM gives the time), ServiceDesk Plus' answers are held at the proxy; SDP stores
 * each note but the worker never hears back, and is SIGKILLed. `notesEach`: the notes each ticket has
 * once the worker's is stored.
 */
export async function killAfterPosting(
  stack: Stack,
  sdpProxy: TcpProxy,
  worker: NodeProcess,
  tickets: readonly { requestId: string }[],
  notesEach = 1,
): Promise<void> {
  await waitFor(
    () =>
      tickets.every((t) =>
        stack.sdp.calls.some((c) => c.method === 'GET' && c.path.endsWith(`/requests/${t.requestId}`)),
      )
        ? true
        : undefined,
    15_000,
    'the tickets to be read',
  );
  await new Promise((r) => setTimeout(r, 200));
  sdpProxy.holdResponses(true);
  await waitFor(
    () => (tickets.every((t) => stack.sdp.notes(t.requestId).length === notesEach) ? true : undefined),
    20_000,
    'the notes to be stored',
  );
  await worker.kill('SIGKILL');
  sdpProxy.holdResponses(false);
}
