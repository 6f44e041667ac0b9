import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceDeskClient } from '@ai-agents/servicedesk';
import { MAX_RESPONSE_BYTES } from '@ai-agents/shared';
import { createHttpFetch } from '@ai-agents/shared/http-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../test/failure.js';

// Whatever answers at a tenant's portal URL, sending more than the limit: with a Content-Length
// (refused before the body is read) and chunked without one (refused while it streams).
let server: Server;
let base: string;
let bytesSent = 0;
const OVER = MAX_RESPONSE_BYTES + 1024 * 1024;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    res.setHeader('content-type', 'application/json');
    if (req.url?.includes('/requests/1')) res.setHeader('content-length', String(OVER));
    let sent = 0;
    const pump = () => {
      while (sent < OVER) {
        sent += chunk.length;
        bytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => {});
    res.on('close', () => {});
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('answers above the size limit are refused', () => {
  for (const [name, fetcher] of [
    ['the worker fetch', () => createHttpFetch().fetch],
    ['the global fetch (operator CLI)', () => globalThis.fetch],
  ] as const) {
    for (const [shape, id] of [
      ['with Content-Length', '1'],
      ['chunked, no length', '2'],
    ] as const) {
      it(`${name}, ${shape}: a clear, non-retryable error`, async () => {
        const client = createServiceDeskClient({
          baseUrl: base,
          auth: { type: 'onprem', technicianKey: 'key-0123456789' },
          fetch: fetcher(),
        });
        const error = await failure(client.getRequest(id));
        expect(error.message).toBe(
          `ServiceDesk Plus GET request ${id} failed: answer larger than 4 MB refused`,
        );
        expect(error.kind).toBe('invalid_response');
        expect(error.retryable).toBe(false);
      });
    }
  }

  it('stops downloading soon after the limit', async () => {
    bytesSent = 0;
    const { fetch, close } = createHttpFetch({ maxResponseBytes: 1024 * 1024 });
    const error = await fetch(`${base}/api/v3/requests/2`).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await close();
    expect(error).toBeInstanceOf(TypeError);
    expect((error?.cause as Error | undefined)?.message).toBe('answer larger than 1 MB refused');
    // Sockets buffer some: far less than the 5 MB the server would send, not exactly 1 MB.
    expect(bytesSent).toBeLessThan(OVER);
  });
});
