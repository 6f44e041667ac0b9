import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface WorkerProbe {
  /** Whether the worker is consuming jobs. */
  running(): boolean;
  /** Postgres and Redis answer, each within the probe's own timeout. */
  dependencies(): Promise<Record<string, 'ok' | 'unavailable'>>;
}

export interface WorkerHttpServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The worker's small HTTP port for Kubernetes and Prometheus: /health (the process answers),
 * /ready (consuming, and Postgres and Redis answer) and /metrics. Plain node:http: three fixed routes
 * do not need a framework.
 */
export async function startWorkerHttp(opts: {
  host: string;
  port: number;
  registry: Registry;
  probe: WorkerProbe;
}): Promise<WorkerHttpServer> {
  const server: Server = createServer((request, response) => {
    const send = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') return send(405, JSON.stringify({ error: 'method_not_allowed' }));
    if (path === '/health') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/ready') {
      void opts.probe.dependencies().then(
        (checks) => {
          const ready = opts.probe.running() && Object.values(checks).every((c) => c === 'ok');
          send(
            ready ? 200 : 503,
            JSON.stringify({
              status: ready ? 'ok' : 'unavailable',
              checks: { ...checks, worker: opts.probe.running() ? 'ok' : 'stopped' },
            }),
          );
        },
        () => send(503, JSON.stringify({ status: 'unavailable' })),
      );
      return;
    }
    if (path === '/metrics') {
      void opts.registry.metrics().then(
        (body) => send(200, body, opts.registry.contentType),
        () => send(500, 'metrics collection failed\n', 'text/plain'),
      );
      return;
    }
    send(404, JSON.stringify({ error: 'not_found' }));
  });
  // Probes and scrapes are short; do not let a stuck client hold a socket.
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
