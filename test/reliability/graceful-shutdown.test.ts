import { connect } from 'node:net';
import { freePort, startNodeProcess, waitFor } from '@ai-agents/sandbox';
import { signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

// SIGTERM on the real processes (apps/api/dist/server.js, apps/worker/dist/main.js).

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('SIGTERM on the API', () => {
  it('finishes the request in flight (its job is stored), refuses new ones, exits 0', async () => {
    const port = await freePort();
    const api = startNodeProcess('apps/api/dist/server.js', {
      ...stack.env,
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    try {
      await waitFor(() => (api.output().includes('Server listening') ? true : undefined), 20_000, 'the API');
      const request = stack.sdp.addRequest({ subject: 'Printer offline after the power cut' });
      const body = Buffer.from(
        JSON.stringify({ event: 'request.created', event_id: 'evt-term-api', request: { id: request.id } }),
      );
      const headers = signWebhook(stack.secret, body);
      // A webhook whose body is still arriving when SIGTERM comes.
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      let answer = '';
      socket.on('data', (d) => {
        answer += d.toString();
      });
      socket.write(
        `POST /v1/webhooks/servicedesk/${stack.slug} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `X-Webhook-Timestamp: ${headers['x-webhook-timestamp']}\r\nX-Webhook-Signature: ${headers['x-webhook-signature']}\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(body.subarray(0, 10));
      await new Promise((r) => setTimeout(r, 300));
      api.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      // New connections are refused while the in-flight request completes.
      const refused = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(refused);
      // The rest of the body, on the same connection (no half-close: senders wait for the answer).
      socket.write(body.subarray(10));
      await new Promise((r) => socket.once('close', r));
      expect(answer).toMatch(/^HTTP\/1\.1 202/);
      expect(await api.exited).toBe(0);
      expect(await stack.queue.getWaitingCount()).toBe(1);
    } finally {
      await api.kill('SIGKILL');
    }
  });
});

describe('SIGTERM on the worker', () => {
  it('finishes in-flight jobs before exiting', async () => {
    await stack.startApi();
    stack.llm.setFault({ latencyMs: 1_500 });
    const worker = await stack.spawnWorker();
    const ids = ['Outlook password prompt loop', 'VPN drops every hour', 'Teams has no audio'].map((s, i) => {
      const request = stack.sdp.addRequest({ subject: s });
      return { requestId: request.id, eventId: `evt-term-w-${i}` };
    });
    for (const t of ids)
      await stack.post({ event: 'request.created', event_id: t.eventId, request: { id: t.requestId } });
    await waitFor(
      async () => ((await stack.queue.getActiveCount()) >= 3 ? true : undefined),
      10_000,
      'jobs in flight',
    );
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    // Done before the process exited, not by a successor.
    for (const t of ids) {
      expect((await stack.row(t.eventId))?.status).toBe('posted');
      expect(stack.sdp.notes(t.requestId)).toHaveLength(1);
    }
    stack.llm.clearFaults();
  });

  it('past its bound, exits and leaves unfinished jobs to the next worker; nothing is lost', async () => {
    stack.llm.setFault({ latencyMs: 8_000 });
    const worker = await stack.spawnWorker({ SHUTDOWN_TIMEOUT_MS: '1000' });
    const request = stack.sdp.addRequest({ subject: 'Scanner driver missing' });
    await stack.post({ event: 'request.created', event_id: 'evt-term-bound', request: { id: request.id } });
    await waitFor(async () => ((await stack.queue.getActiveCount()) >= 1 ? true : undefined), 10_000);
    worker.child.kill('SIGTERM');
    await worker.exited;
    expect((await stack.row('evt-term-bound'))?.status).toBe('processing');
    stack.llm.clearFaults();
    const next = await stack.spawnWorker();
    const [row] = await stack.settled(['evt-term-bound'], 30_000);
    expect(row?.status).toBe('posted');
    expect(stack.sdp.notes(request.id)).toHaveLength(1);
    await next.kill('SIGTERM');
  });
});
