import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProductionCaddy } from './production-caddy.js';

/**
 * A deploy replaces the api container while Caddy keeps running (docs/deploying.md, "Deploying a new
 * version"). The production Caddyfile's reverse_proxy block, run by a real Caddy (Debian's package)
 * in front of a stand-in API on a port that is closed, then opened: requests sent while no API
 * answers are held and answered once it is back, not refused with a 502. Changed from the file: plain
 * HTTP on a free port, the stand-in's address, no admin endpoint. `npm run test:compose` checks the
 * same with the real containers.
 */

let dir: string;
let caddy: ChildProcess;
let base: string;
let apiPort: number;
let api: Server | undefined;

function startApi(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(req.url === '/health' ? 200 : 202).end('{}'));
  });
  return new Promise((resolve) => server.listen(apiPort, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  apiPort = await freePort();
  base = `http://127.0.0.1:${await freePort()}`;
  dir = await mkdtemp(join(tmpdir(), 'ai-agents-caddy-deploy-'));
  caddy = await startProductionCaddy({ dir, base, upstreamPort: apiPort });
  await waitFor(
    async () => ((await fetch(`${base}/proxy-health`).catch(() => null))?.status === 200 ? true : undefined),
    15_000,
    'Caddy to serve',
  );
}, 30_000);

afterAll(async () => {
  caddy?.kill('SIGTERM');
  if (api?.listening) {
    api.closeAllConnections();
    await new Promise((resolve) => api?.close(resolve));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Caddy during a deploy (docker/Caddyfile)', () => {
  it('holds requests while no API answers and answers them once it is back', async () => {
    const sent = Date.now();
    // GETs, e.g. a technician's feedback link. A POST is not held by Caddy up to 2.11.1 (the
    // Caddyfile's comment): test:compose checks that its ticket is noted anyway, by the sweep.
    const requests = Array.from({ length: 5 }, (_, i) =>
      fetch(`${base}/v1/feedback?n=${i}`).then((response) => ({
        status: response.status,
        after: Date.now() - sent,
      })),
    );
    // The new API comes up 3 s later, well inside lb_try_duration (30 s).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    api = await startApi();
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    // Answered after the API came back, i.e. held, not answered early by anything else.
    for (const answer of answers) expect(answer.after).toBeGreaterThanOrEqual(2_500);
  }, 40_000);

  it('answers its own health path whether or not the API does', async () => {
    api?.closeAllConnections();
    await new Promise((resolve) => api?.close(resolve));
    const response = await fetch(`${base}/proxy-health`);
    expect(response.status).toBe(200);
  });
});
