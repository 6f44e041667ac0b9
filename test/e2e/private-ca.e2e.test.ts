import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createTestTls, REPO_ROOT, TECHNICIAN_KEY, type TestTls, waitFor } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';

// An on-premises ServiceDesk Plus and an LLM gateway whose certificates a private CA signed, as
// most MSPs' portals are: the built worker and admin CLI as real processes (the trust is
// process-wide, set at start-up), with and without EXTRA_CA_FILE. Nothing turns verification off.

let certs: TestTls;
let stack: Stack;

beforeAll(async () => {
  const made = await createTestTls();
  if (!made) throw new Error('openssl is needed for the private CA test (apt-get install openssl)');
  certs = made;
  const pem = { cert: await readFile(certs.certFile, 'utf8'), key: await readFile(certs.keyFile, 'utf8') };
  stack = await startStack({ sdp: { technicianKeys: [TECHNICIAN_KEY], tls: pem }, llm: { tls: pem } });
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
  await certs?.remove();
});

/**
 * `tenant check` as an operator runs it: the built CLI, its own process. Asynchronous: the fake
 * portal answers from this process's event loop.
 */
function tenantCheck(extra: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['apps/api/dist/admin/main.js', 'tenant', 'check', stack.slug],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...stack.env, ...extra }, timeout: 30_000 },
      (_error, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

describe('a ServiceDesk Plus and an LLM behind a private certificate authority', () => {
  it('fails verification without EXTRA_CA_FILE: no note, and tenant check says why', async () => {
    expect(stack.sdp.url).toMatch(/^https:/);
    expect(stack.llm.url).toMatch(/^https:/);
    const worker = await stack.spawnWorker();
    const { request, res } = await stack.ticket('VPN drops every hour', 'ca-untrusted');
    expect(res.status).toBe(202);
    await waitFor(
      () => (worker.output().includes('UNABLE_TO_VERIFY_LEAF_SIGNATURE') ? true : undefined),
      45_000,
      'the worker to report the unverified certificate',
    );
    expect(stack.sdp.notes(request.id)).toHaveLength(0);
    await worker.kill('SIGKILL');

    const check = await tenantCheck({});
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('network error (UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(check.stderr).toContain('Trust it with EXTRA_CA_FILE');
  }, 120_000);

  it('with EXTRA_CA_FILE the note is posted over verified TLS, and tenant check passes', async () => {
    await stack.spawnWorker({ EXTRA_CA_FILE: certs.caFile });
    const { request, res } = await stack.ticket('Printer on floor 3 offline', 'ca-trusted');
    expect(res.status).toBe(202);
    const [row] = await stack.settled(['ca-trusted'], 60_000);
    expect(row?.status).toBe('posted');
    expect(stack.sdp.notes(request.id)).toHaveLength(1);
    // The LLM was asked over the same verified TLS (the note is the model's, not the fallback).
    expect(stack.llm.calls.filter((call) => call.status === 200).length).toBeGreaterThan(0);

    const check = await tenantCheck({ EXTRA_CA_FILE: certs.caFile });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 120_000);

  it('a worker whose EXTRA_CA_FILE is not mounted does not start, and says which file', () => {
    const missing = `${certs.dir}/not-mounted.pem`;
    const run = spawnSync(process.execPath, ['apps/worker/dist/main.js'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ...stack.env, EXTRA_CA_FILE: missing },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`- EXTRA_CA_FILE: ${missing} cannot be read (ENOENT)`);
  }, 60_000);
});
