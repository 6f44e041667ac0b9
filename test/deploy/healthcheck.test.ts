import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('exits 2 without a URL', async () => {
    expect((await check([])).status).toBe(2);
  });
});
