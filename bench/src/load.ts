import { signWebhook } from '@ai-agents/shared';
import autocannon from 'autocannon';
import { cpuSeconds } from './processes.js';
import { webhookBody } from './stack.js';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connection errors and timeouts plus answers other than 202. */
  errors: number;
  durationSec: number;
  /** CPU time the server process used per request (user + system), when its pid is known. */
  cpuMicrosPerRequest?: number;
}

/**
 * Drives signed request.created webhooks at a URL for a fixed time with autocannon. Each request
 * gets a fresh event id and request id and is signed just before it is sent (the HMAC costs microseconds), so no
 * two deliveries are duplicates and no timestamp goes stale however long the run.
 */
export async function driveWebhooks(opts: {
  url: string;
  secret: string;
  connections: number;
  durationSec: number;
  runId: string;
  /** The server's pid, to account its CPU time. */
  pid?: number;
}): Promise<LoadResult> {
  let sequence = 0;
  const cpuBefore = cpuSeconds(opts.pid);
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    // The bound of the run (autocannon's `amount` would override it, so it is not set).
    duration: opts.durationSec,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          sequence += 1;
          // A request id of its own too: request.created is one job per request, whatever its event id.
          const body = webhookBody(`${opts.runId}-${sequence}`, String(100_000 + sequence));
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', ...signWebhook(opts.secret, body) },
          };
        },
      },
    ],
  });
  const cpuAfter = cpuSeconds(opts.pid);
  const total = result.requests.total;
  return {
    ...(cpuBefore !== undefined && cpuAfter !== undefined && total > 0
      ? { cpuMicrosPerRequest: ((cpuAfter - cpuBefore) / total) * 1e6 }
      : {}),
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    durationSec: result.duration,
  };
}
