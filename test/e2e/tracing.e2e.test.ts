import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, type Sandbox, startSandbox, waitFor } from '@ai-agents/sandbox';
import { signWebhook } from '@ai-agents/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * One trace from the webhook to the posted note, across the API and worker processes (the built
 * entries, as deployed), exported over OTLP/HTTP JSON to a collector this test runs. Tracing is
 * switched on only by the standard OTEL_* variables.
 */

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const spans: ExportedSpan[] = [];
let collector: Server;
let collectorUrl: string;
let sandbox: Sandbox;
let sdp: Sandbox['sdp'];
let apiUrl: string;
const processes: Array<ChildProcess & { output: string[] }> = [];

function startCollector(): Promise<void> {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const payload = JSON.parse(body) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
          scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service'>> }>;
        }>;
      };
      for (const resource of payload.resourceSpans) {
        const service =
          resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resource.scopeSpans)
          for (const span of scope.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return new Promise((resolve) => {
    collector.listen(0, '127.0.0.1', () => {
      collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      resolve();
    });
  });
}

function start(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: string[] };
  child.output = [];
  const keep = (chunk: Buffer) => child.output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  processes.push(child);
  return child;
}

beforeAll(async () => {
  await startCollector();
  sandbox = await startSandbox({ tenant: { slug: 'traced', name: 'Traced Ltd' } });
  sdp = sandbox.sdp;

  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...sandbox.env,
    LOG_LEVEL: 'info',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collectorUrl}/v1/traces`,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    // Export within a fraction of a second instead of the default 5 s batches.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  const api = start('apps/api/dist/server.js', { ...env, HOST: '127.0.0.1', PORT: String(port) });
  const workerUrl = `http://127.0.0.1:${await freePort()}`;
  const worker = start('apps/worker/dist/main.js', {
    ...env,
    WORKER_HTTP_HOST: '127.0.0.1',
    WORKER_HTTP_PORT: new URL(workerUrl).port,
  });
  // Loading the SDK and instrumenting every module costs seconds of CPU at startup; on a busy
  // 2-core machine running the other test files in parallel that can take far longer.
  const ready = (child: typeof api, url: string, what: string) =>
    waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${what} exited:\n${child.output.join('\n')}`);
        return (await fetch(`${url}/ready`).catch(() => undefined))?.ok ? true : undefined;
      },
      90_000,
      `${what} to be ready`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; its output:\n${child.output.slice(-20).join('\n')}`);
    });
  await Promise.all([ready(api, apiUrl, 'the API'), ready(worker, workerUrl, 'the worker')]);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    processes.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await sandbox?.close();
  await new Promise((resolve) => collector?.close(resolve));
});

describe('OpenTelemetry tracing', { timeout: 120_000 }, () => {
  it('follows one webhook through the job to the posted note in a single trace', async () => {
    const request = sdp.addRequest({ subject: 'VPN drops every hour', description: 'VPN disconnects' });
    const body = JSON.stringify({ event: 'request.created', request: { id: request.id } });
    const res = await fetch(`${apiUrl}/v1/webhooks/servicedesk/traced`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(sandbox.secret, body) },
      body,
    });
    expect(res.status).toBe(202);
    await waitFor(() => sdp.notes(request.id)[0], 60_000, 'the note to be posted');

    // The job span is exported once the job ends; everything else in the trace before it.
    const job = await waitFor(
      () => spans.find((s) => s.name === 'enhance-ticket' && s.service === 'ai-agents-worker'),
      30_000,
      'the job span to be exported',
    );
    const trace = spans.filter((s) => s.traceId === job.traceId);
    const names = (service: string) => trace.filter((s) => s.service === service).map((s) => s.name);

    // The webhook request is the root, on the API: its server span, the Postgres tenant lookup and
    // the Redis writes of the enqueue.
    const root = trace.find((s) => !s.parentSpanId);
    expect(root?.service).toBe('ai-agents-api');
    expect(root?.name).toMatch(/^POST/);
    expect(names('ai-agents-api').some((n) => /^(pg\.query|SELECT)/.test(n))).toBe(true);
    expect(names('ai-agents-api')).toEqual(expect.arrayContaining(['evalsha']));
    // The job continues that trace on the worker, with one span per stage and the outgoing calls.
    expect(names('ai-agents-worker')).toEqual(
      expect.arrayContaining(['enhance-ticket', 'sdp_fetch', 'context', 'llm', 'post_note']),
    );
    expect(names('ai-agents-worker').filter((n) => /^(GET|POST)$/.test(n)).length).toBeGreaterThanOrEqual(3);
    expect(names('ai-agents-worker').some((n) => /^(pg\.query|SELECT|INSERT|UPDATE)/.test(n))).toBe(true);
  });

  it('puts the trace id on the log lines written inside the trace', async () => {
    const job = spans.find((s) => s.name === 'enhance-ticket');
    const worker = processes[1];
    const posted = await waitFor(
      () =>
        worker?.output
          .map((line) => {
            try {
              return JSON.parse(line) as { msg?: string; trace_id?: string };
            } catch {
              return undefined;
            }
          })
          .find((entry) => entry?.msg === 'note posted'),
      15_000,
      'the "note posted" log line',
    );
    expect(posted?.trace_id).toBe(job?.traceId);
  });
});
