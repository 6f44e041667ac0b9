import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeServiceDesk } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from './repo.js';

/** docker/healthcheck.mjs, the images' HEALTHCHECK command, run as the container runs it. */

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Runs the check as a child process (asynchronously: the server above answers from this process). */
function check(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [repoPath('docker/healthcheck.mjs'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000 },
      (error, _stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
        resolve({ status: code, stderr });
      },
    );
  });
}

describe('docker/healthcheck.mjs', () => {
  it('exits 0 when the URL answers 2xx and 1 when it answers 503', async () => {
    expect((await check([`http://127.0.0.1:${port}/health`])).status).toBe(0);
    const unready = await check([`http://127.0.0.1:${port}/ready`]);
    expect(unready.status).toBe(1);
    expect(unready.stderr).toContain('answered 503');
  });

  it('takes the port from the named variable when it is set, so it follows PORT', async () => {
    // Port 9 (discard) has no HTTP server: only the variable's port can answer.
    expect((await check(['http://127.0.0.1:9/health', 'PORT'], { PORT: String(port) })).status).toBe(0);
    expect((await check(['http://127.0.0.1:9/health', 'PORT'], { PORT: '' })).status).toBe(1);
    expect((await check([`http://127.0.0.1:${port}/health`, 'PORT'])).status).toBe(0);
  });

  it('checks over https when the named TLS variable is set, as the sandbox image does with its certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'healthcheck-tls-'));
    try {
      const made = spawnSync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]);
      expect(made.status, 'openssl makes a certificate').toBe(0);
      const sdp = await startFakeServiceDesk({
        tls: {
          cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
          key: readFileSync(join(dir, 'key.pem'), 'utf8'),
        },
      });
      try {
        expect(sdp.url).toMatch(/^https:/);
        const httpUrl = `${sdp.url.replace('https:', 'http:')}/_sandbox/calls`;
        const trust = { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') };
        const tlsOn = { ...trust, SANDBOX_TLS_CERT_FILE: join(dir, 'cert.pem') };
        expect((await check([httpUrl, 'SANDBOX_SDP_PORT', 'SANDBOX_TLS_CERT_FILE'], tlsOn)).status).toBe(0);
        // Without the variable the check speaks plain http to a TLS port, and fails.
        expect((await check([httpUrl, 'SANDBOX_SDP_PORT', 'SANDBOX_TLS_CERT_FILE'], trust)).status).toBe(1);
      } finally {
        await sdp.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 without a URL', async () => {
    expect((await check([])).status).toBe(2);
  });
});
