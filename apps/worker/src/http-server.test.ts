import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerHttp, type WorkerHttpServer } from './http-server.js';

let server: WorkerHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(running: boolean, checks: Record<string, 'ok' | 'unavailable'>) {
  server = await startWorkerHttp({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    probe: { running: () => running, dependencies: async () => checks },
  });
  return server.url;
}

describe('worker HTTP port', () => {
  it('is ready only while consuming with Postgres and Redis answering, and names what is not', async () => {
    const url = await start(true, { postgres: 'ok', redis: 'unavailable' });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'unavailable',
      checks: { postgres: 'ok', redis: 'unavailable', worker: 'ok' },
    });
  });

  it('is not ready once the worker stopped consuming', async () => {
    const url = await start(false, { postgres: 'ok', redis: 'ok' });
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: object }).checks).toMatchObject({ worker: 'stopped' });
  });

  it('serves metrics in the Prometheus format and nothing else', async () => {
    const url = await start(true, { postgres: 'ok', redis: 'ok' });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await fetch(`${url}/admin`)).status).toBe(404);
    expect((await fetch(`${url}/health`, { method: 'POST' })).status).toBe(405);
  });
});
