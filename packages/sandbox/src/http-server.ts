import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, sendJson } from './http-io.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate and key: serve https instead of http (for production-mode tests). */
  tls?: { cert: string; key: string };
}

function hostForUrl(host: string): string {
  // A wildcard bind is reachable on loopback; the URL must name an address a client can dial.
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** A node:http(s) server whose close() also ends keep-alive and deliberately hung connections. */
export async function startHttpServer(handler: Handler, opts: ListenOptions): Promise<RunningServer> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: error.message });
      else
        sendJson(res, 500, {
          error: `sandbox failure: ${error instanceof Error ? error.message : String(error)}`,
        });
    });
  };
  const server = opts.tls ? createTlsServer(opts.tls, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${hostForUrl(opts.host)}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
