import { type ChildProcess, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
let demoLog: () => string;

/** The script as an operator runs it; asynchronous, so the proxy below answers meanwhile. */
function smokeWith(env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number | null; lines: string[]; stderr: string }>((resolve) => {
    const child = execFile(
      'bash',
      [repoPath('scripts/smoke-test.sh'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, lines: stdout.trim().split('\n'), stderr }),
    );
  });
}
const smoke = (...args: string[]) => smokeWith({}, ...args);

/**
 * The public endpoint as docker/Caddyfile makes it: `respond /metrics 404`, everything else passed to
 * the API (method, path, headers, body).
 */
async function startPublicProxy(apiUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([name]) => !['host', 'connection', 'content-length'].includes(name),
      ),
    ) as Record<string, string>;
    const answer = await fetch(`${apiUrl}${req.url}`, {
      method: req.method,
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(async () => {
  const started = spawnDemo(databaseName, '--keep-running');
  demo = started.child;
  demoLog = started.log;
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
  it('passes every check, one line each, with a tenant slug and secret', async () => {
    const result = await smoke(stack.api_url, stack.tenant, stack.webhook_secret);
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

  it('stops at the first failure with a line naming it: a wrong secret', async () => {
    const result = await smoke(stack.api_url, stack.tenant, 'not-the-secret');
    expect(result.code).toBe(1);
    expect(result.lines.at(-1)).toMatch(
      /^FAIL {2}signed-webhook: signed POST \/v1\/webhooks\/servicedesk\/\S+ answered 401, expected 202: /,
    );
  });

  it('fails on the first check when nothing answers', async () => {
    const result = await smoke('http://127.0.0.1:9');
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      'FAIL  health: GET /health got no answer (connection refused, DNS or timeout)',
    ]);
  });

  it('refuses a bad command line with exit 2', async () => {
    expect((await smoke()).code).toBe(2);
    expect((await smoke(stack.api_url, stack.tenant)).code).toBe(2);
  });

  it('passes as docs/deploying.md orders it: through the public proxy, which does not serve /metrics', async () => {
    const proxy = await startPublicProxy(stack.api_url);
    try {
      // The documented command, with nothing else set.
      const result = await smoke(proxy.url, stack.tenant, stack.webhook_secret);
      expect(result.code, result.lines.join('\n')).toBe(0);
      expect(result.lines.slice(-2)).toEqual([
        `ok    metrics: not public at ${proxy.url}/metrics (404, as the proxy answers); set METRICS_URL to check them`,
        `smoke test passed: ${proxy.url}`,
      ]);
      // Named explicitly, the metrics must be there: the proxy's 404 is then a failure.
      const strict = await smokeWith({ METRICS_URL: `${proxy.url}/metrics` }, proxy.url);
      expect(strict.code).toBe(1);
      expect(strict.lines.at(-1)).toBe(`FAIL  metrics: GET ${proxy.url}/metrics answered 404, expected 200:`);
      const direct = await smokeWith({ METRICS_URL: `${stack.api_url}/metrics` }, proxy.url);
      expect(direct.code, direct.lines.join('\n')).toBe(0);
      expect(direct.lines).toContain(
        'ok    metrics: http_requests_total, webhooks_total and queue_jobs present',
      );
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it("the note's feedback link opens on the demo's own API, not on localhost:3000", async () => {
    const link = /"helpful\? Yes" link, served by this demo's API: (\S+)/.exec(demoLog())?.[1];
    expect(link, demoLog()).toMatch(
      new RegExp(`^${stack.api_url.replaceAll('.', '\\.')}/v1/feedback\\?token=`),
    );
    // What a technician's click shows: the feedback page, not a connection error.
    const page = await fetch(link as string);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
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
