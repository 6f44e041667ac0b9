import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from './http-fetch.js';

let server: Server;
let base: string;
const client = createHttpFetch();

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function route(req: IncomingMessage, res: ServerResponse, body: string) {
  const path = req.url ?? '/';
  if (path.startsWith('/echo')) {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.end(JSON.stringify({ method: req.method, path, headers: req.headers, body }));
  } else if (path === '/empty') {
    res.statusCode = 204;
    res.end();
  } else if (path === '/moved') {
    res.statusCode = 302;
    res.setHeader('location', '/echo/after-redirect');
    res.end('moved');
  } else if (path === '/busy') {
    res.statusCode = 503;
    res.setHeader('retry-after', '7');
    res.end('{"error":"busy"}');
  } else if (path === '/slow') {
    setTimeout(() => res.end('late'), 2_000).unref();
  } else {
    res.statusCode = 404;
    res.end();
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((body) => route(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createHttpFetch', () => {
  it('sends the method, headers and a form body, and answers with a standard Response', async () => {
    const res = await client.fetch(`${base}/echo?x=1`, {
      method: 'post',
      headers: { Accept: 'application/json', authtoken: 'k' },
      body: new URLSearchParams({ input_data: '{"a":1}' }),
    });
    expect(res).toBeInstanceOf(Response);
    expect(res.ok).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    const seen = (await res.json()) as {
      method: string;
      path: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(seen).toMatchObject({ method: 'POST', path: '/echo?x=1', body: 'input_data=%7B%22a%22%3A1%7D' });
    expect(seen.headers).toMatchObject({
      accept: 'application/json',
      authtoken: 'k',
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      'user-agent': 'ai-agents',
    });
  });

  it('takes a Headers object and a JSON string body as the OpenAI SDK sends them', async () => {
    const res = await client.fetch(`${base}/echo`, {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json', 'user-agent': 'OpenAI/JS' }),
      body: JSON.stringify({ model: 'm' }),
    });
    const seen = (await res.json()) as { headers: Record<string, string>; body: string };
    expect(seen.body).toBe('{"model":"m"}');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['user-agent']).toBe('OpenAI/JS');
  });

  it('passes error statuses and their headers through, and gives a 204 no body', async () => {
    const busy = await client.fetch(`${base}/busy`);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    expect(await busy.text()).toBe('{"error":"busy"}');
    const empty = await client.fetch(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('follows redirects by default, returns them with redirect: manual, and rejects with redirect: error', async () => {
    const followed = await client.fetch(`${base}/moved`);
    expect(((await followed.json()) as { path: string }).path).toBe('/echo/after-redirect');
    const manual = await client.fetch(`${base}/moved`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('/echo/after-redirect');
    await expect(client.fetch(`${base}/moved`, { redirect: 'error' })).rejects.toThrow('fetch failed');
  });

  it('rejects with the signal’s reason when it aborts: TimeoutError for AbortSignal.timeout', async () => {
    const error = await client.fetch(`${base}/slow`, { signal: AbortSignal.timeout(100) }).catch((e) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const pending = client.fetch(`${base}/slow`, { signal: controller.signal }).catch((e) => e);
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
  });

  it('rejects a refused connection as fetch does: TypeError("fetch failed") with the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await client.fetch(`http://127.0.0.1:${port}/`).catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('hands a streamed body to the global fetch', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const res = await client.fetch(`${base}/echo`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(((await res.json()) as { body: string }).body).toBe('streamed');
  });
});
