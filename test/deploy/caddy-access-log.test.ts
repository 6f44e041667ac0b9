import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProductionCaddy } from './production-caddy.js';

/**
 * The production Caddyfile, run by a real Caddy (Debian's `caddy` package; `.ci/run` installs it) in
 * front of a stand-in for the API, with only what cannot run here changed: plain HTTP on a free port
 * instead of a certificate for PUBLIC_HOSTNAME, the stand-in instead of `api:3000`, no admin endpoint.
 * The log blocks are the file's own. Secrets are sent the ways they really travel and looked for in
 * every line Caddy writes: the access log on stdout, and on stderr everything else, the error log
 * included, which writes each request that failed (the API down) with its headers and URI.
 */

const WEBHOOK_TOKEN = 'tenant-webhook-secret-5b1f0c9e77d2';
const SIGNATURE = 'sha256=9f2a4c0d1e7b3a5f';
const FEEDBACK_TOKEN = 'contoso.4b6f1e52-0c1a-4f59-9c1e-3c1d9f0b2a71.Zm9yZ2VkLW1hYy12YWx1ZQ';

let dir: string;
let upstream: Server;
let caddy: ChildProcess;
let base: string;
let output = '';
let errors = '';

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dir = await mkdtemp(join(tmpdir(), 'ai-agents-caddy-'));
  caddy = await startProductionCaddy({
    dir,
    base,
    upstreamPort,
    // Held requests would wait 30 s for an API that this file stops for good.
    edit: (caddyfile) => caddyfile.replace('lb_try_duration 30s', 'lb_try_duration 1s'),
  });
  caddy.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  caddy.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  await waitFor(
    async () => ((await fetch(`${base}/health`).catch(() => null))?.status === 200 ? true : undefined),
    15_000,
    'Caddy to serve',
  );
}, 30_000);

afterAll(async () => {
  caddy?.kill('SIGTERM');
  if (upstream?.listening) {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

type LogLine = { request: { uri: string; headers: Record<string, string[] | string> } };

function accessLines(): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"handled request"'))
    .map((line) => JSON.parse(line))
    .filter((line) => line.request.uri !== '/health');
}

/** The error log's lines about requests (not /health), from stderr. */
function errorLines(): LogLine[] {
  return errors
    .split('\n')
    .filter((line) => line.includes('"logger":"http.log.error'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.request.uri !== '/health');
}

describe('Caddy logs (docker/Caddyfile)', () => {
  it('never writes a webhook token, a signature or a feedback token', async () => {
    await sendSecretsTheWaysTheyTravel();
    const lines = await waitFor(() => (accessLines().length >= 4 ? accessLines() : undefined), 10_000);

    for (const secret of [WEBHOOK_TOKEN, SIGNATURE, FEEDBACK_TOKEN]) expect(output).not.toContain(secret);
    // What stays is still useful: which header and parameter were there, and the rest of the request.
    const [token, signed, link, form] = lines;
    expect(token?.request.headers['X-Webhook-Token']).toBe('REDACTED');
    expect(signed?.request.headers['X-Webhook-Signature']).toBeUndefined();
    expect(link?.request.uri).toMatch(
      /^\/v1\/feedback\?(helpful=yes&token=REDACTED|token=REDACTED&helpful=yes)$/,
    );
    expect(form?.request.headers.Referer).toEqual([`${base}/v1/feedback?token=REDACTED&helpful=no`]);
  });

  it('writes neither on stderr while the API is down, where the error log names each failed request', async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    await waitFor(
      async () => ((await fetch(`${base}/health`))?.status >= 500 ? true : undefined),
      15_000,
      'Caddy to answer without the API',
    );
    const before = errorLines().length;
    await sendSecretsTheWaysTheyTravel();
    const lines = await waitFor(
      () => (errorLines().length >= before + 4 ? errorLines().slice(before) : undefined),
      10_000,
      'an error line per request',
    );

    for (const secret of [WEBHOOK_TOKEN, SIGNATURE, FEEDBACK_TOKEN]) {
      expect(errors).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
    const [token, , link] = lines;
    expect(token?.request.headers['X-Webhook-Token']).toBe('REDACTED');
    expect(link?.request.uri).toContain('token=REDACTED');
  });
});

/** Both tokens and the signature, each the way ServiceDesk Plus or a technician's browser sends it. */
async function sendSecretsTheWaysTheyTravel() {
  await fetch(`${base}/v1/webhooks/servicedesk/contoso`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-token': WEBHOOK_TOKEN },
    body: '{}',
  });
  await fetch(`${base}/v1/webhooks/servicedesk/contoso`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': SIGNATURE },
    body: '{}',
  });
  await fetch(`${base}/v1/feedback?token=${FEEDBACK_TOKEN}&helpful=yes`);
  await fetch(`${base}/v1/feedback`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      referer: `${base}/v1/feedback?token=${FEEDBACK_TOKEN}&helpful=no`,
    },
    body: `token=${FEEDBACK_TOKEN}&helpful=no`,
  });
}
