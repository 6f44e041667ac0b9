import { type ChildProcess, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { dropDatabase } from '@ai-agents/db';
import { TEST_ADMIN_DATABASE_URL } from '@ai-agents/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDemo } from './demo-process.js';
import { repoPath } from './repo.js';

/**
 * scripts/smoke-test.sh against the stack `npm run demo -- --keep-running` starts (the built demo:
 * `npm test` builds before it runs the tests): real API and worker processes on real Postgres and
 * Redis, the sandbox ServiceDesk Plus and fake LLM.
 */

interface DemoStack {
  api_url: string;
  worker_url: string;
  tenant: string;
  webhook_secret: string;
}

const databaseName = `aiagents_smoke_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let demo: ChildProcess;
let stack: DemoStack;

function smoke(...args: string[]) {
  const result = spawnSync('bash', [repoPath('scripts/smoke-test.sh'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, lines: result.stdout.trim().split('\n'), stderr: result.stderr };
}

beforeAll(async () => {
  const started = spawnDemo(databaseName, '--keep-running');
  demo = started.child;
  // The demo prints exactly one JSON line on stdout once the stack is up (its progress goes to stderr).
  stack = await new Promise<DemoStack>((resolve, reject) => {
    const lines = createInterface({ input: demo.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve(JSON.parse(line) as DemoStack));
    demo.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${started.log()}`)));
  });
}, 120_000);

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  await dropDatabase(TEST_ADMIN_DATABASE_URL, databaseName);
}, 60_000);

describe('scripts/smoke-test.sh against the demo stack', () => {
  it('passes every check, one line each, with a tenant slug and secret', () => {
    const result = smoke(stack.api_url, stack.tenant, stack.webhook_secret);
    expect(result.code, result.lines.join('\n')).toBe(0);
    expect(result.lines).toEqual([
      'ok    health: GET /health answered 200',
      'ok    readiness: GET /ready answered 200',
      `ok    unsigned-webhook: unsigned POST /v1/webhooks/servicedesk/${stack.tenant} answered 401`,
      `ok    signed-webhook: signed POST /v1/webhooks/servicedesk/${stack.tenant} answered 202`,
      `ok    metrics: GET ${stack.api_url}/metrics answered 200`,
      'ok    metrics: http_requests_total, webhooks_total and queue_jobs present',
      `smoke test passed: ${stack.api_url}`,
    ]);
  });

  it('stops at the first failure with a line naming it: a wrong secret', () => {
    const result = smoke(stack.api_url, stack.tenant, 'not-the-secret');
    expect(result.code).toBe(1);
    expect(result.lines.at(-1)).toMatch(
      /^FAIL {2}signed-webhook: signed POST \/v1\/webhooks\/servicedesk\/\S+ answered 401, expected 202: /,
    );
  });

  it('fails on the first check when nothing answers', () => {
    const result = smoke('http://127.0.0.1:9');
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      'FAIL  health: GET /health got no answer (connection refused, DNS or timeout)',
    ]);
  });

  it('refuses a bad command line with exit 2', () => {
    expect(smoke().code).toBe(2);
    expect(smoke(stack.api_url, stack.tenant).code).toBe(2);
  });

  it('the worker of the stack serves /health, /ready and its metrics', async () => {
    expect((await fetch(`${stack.worker_url}/health`)).status).toBe(200);
    const ready = await fetch(`${stack.worker_url}/ready`);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok', worker: 'ok' },
    });
    const metrics = await (await fetch(`${stack.worker_url}/metrics`)).text();
    // The demo posted one note before it printed the stack: its job and stages were counted (the
    // smoke test's own job may have run too, for a request the sandbox does not know).
    expect(metrics).toMatch(/^enhance_jobs_total\{outcome="(posted|fallback)"\} 1$/m);
    for (const stage of ['sdp_fetch', 'context', 'llm', 'post_note']) {
      expect(metrics).toMatch(
        new RegExp(`^enhance_stage_duration_seconds_count\\{stage="${stage}"\\} [1-9]`, 'm'),
      );
    }
    expect(metrics).toMatch(/^sdp_requests_total\{status="200"\} [1-9]/m);
    expect(metrics).toMatch(
      new RegExp(`^llm_tokens_total\\{tenant="${stack.tenant}",model="[^"]+",type="prompt"\\} [1-9]`, 'm'),
    );
  });
});
