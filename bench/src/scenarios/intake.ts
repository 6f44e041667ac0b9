import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@ai-agents/sandbox';
import { driveWebhooks, type LoadResult } from '../load.js';
import { type Child, ROOT, startChild, startNode, waitForHttp } from '../processes.js';
import type { Stack } from '../stack.js';

export interface IntakeResult {
  connections: number;
  durationSec: number;
  ours: LoadResult;
  reference: LoadResult;
  /** The minimal reference plus the product's per-delivery guarantees (not a target: context). */
  guaranteed: LoadResult;
  fastapi: LoadResult | { skipped: string };
  oursOverReference: number;
  oursOverGuaranteed: number;
  oursOverFastapi: number | null;
}

const PYTHON_MODULES = 'import fastapi, uvicorn, celery, redis';

/**
 * The first interpreter that has Debian's python3-fastapi, python3-uvicorn, python3-celery (and the
 * redis client Celery's broker needs). A version manager's python3 may shadow /usr/bin/python3 on
 * PATH, so both are tried. The bench never installs them.
 */
export function findFastapiPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', PYTHON_MODULES], { stdio: 'ignore', timeout: 20_000 });
    if (probe.status === 0) return python;
  }
  return undefined;
}

async function measure(
  stack: Stack,
  url: string,
  opts: { connections: number; durationSec: number; warmupSec: number },
  runId: string,
  pid: number | undefined,
): Promise<LoadResult> {
  await stack.resetQueue();
  // Warm-up: JIT, connection pools and the tenant cache, so the measured seconds are steady state.
  await driveWebhooks({
    url,
    secret: stack.tenant.secret,
    connections: opts.connections,
    durationSec: opts.warmupSec,
    runId: `${runId}-warm`,
  });
  await stack.resetQueue();
  return driveWebhooks({
    url,
    secret: stack.tenant.secret,
    connections: opts.connections,
    durationSec: opts.durationSec,
    runId,
    pid,
  });
}

export async function runIntake(
  stack: Stack,
  opts: { connections: number; durationSec: number; warmupSec: number },
  say: (m: string) => void,
): Promise<IntakeResult> {
  say(`intake: our API, ${opts.connections} connections, ${opts.durationSec} s`);
  const ours = await measure(stack, stack.webhookUrl(), opts, 'ours', stack.api.child.process.pid);

  const runReference = async (guarantees: boolean, runId: string) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/v1/webhooks/servicedesk/bench`;
    return withChild(
      startNode(
        'fastify-reference',
        join(ROOT, 'bench/dist/reference/fastify-reference.js'),
        {},
        {
          stdout: 'ignore',
          args: [
            JSON.stringify({
              port,
              redisUrl: stack.redis.url,
              prefix: runId,
              secret: stack.tenant.secret,
              guarantees,
            }),
          ],
        },
      ),
      async (child) => {
        await waitForPost(child, url);
        return measure(stack, url, opts, runId, child.process.pid);
      },
    );
  };
  say('intake: minimal reference (bench/reference/fastify-reference.ts)');
  const reference = await runReference(false, 'ref');
  say('intake: the reference with the per-delivery guarantees (rate limit, dedupe, log line, metrics)');
  const guaranteed = await runReference(true, 'refg');

  let fastapi: IntakeResult['fastapi'];
  const python = findFastapiPython();
  if (!python) {
    fastapi = {
      skipped:
        'python3-fastapi, python3-uvicorn, python3-celery (and python3-redis) are not installed; the bench does not install them',
    };
    say(`intake: FastAPI + Celery skipped (${fastapi.skipped})`);
  } else {
    const port = await freePort();
    say(`intake: FastAPI + Celery (bench/reference/fastapi_reference.py, one uvicorn process, ${python})`);
    fastapi = await withChild(
      startChild(
        'fastapi-reference',
        python,
        [
          '-m',
          'uvicorn',
          'fastapi_reference:app',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--log-level',
          'warning',
          '--no-access-log',
        ],
        {
          BENCH_SECRET: stack.tenant.secret,
          BENCH_REDIS_URL: `${stack.redis.url}/1`,
          PYTHONDONTWRITEBYTECODE: '1',
        },
        { stdout: 'ignore', cwd: join(ROOT, 'bench/reference') },
      ),
      async (child) => {
        await waitForPost(child, `http://127.0.0.1:${port}/v1/webhooks/servicedesk/bench`);
        return measure(
          stack,
          `http://127.0.0.1:${port}/v1/webhooks/servicedesk/bench`,
          opts,
          'fastapi',
          child.process.pid,
        );
      },
    );
  }
  return {
    connections: opts.connections,
    durationSec: opts.durationSec,
    ours,
    reference,
    guaranteed,
    fastapi,
    oursOverReference: ours.requestsPerSecond / reference.requestsPerSecond,
    oursOverGuaranteed: ours.requestsPerSecond / guaranteed.requestsPerSecond,
    oursOverFastapi: 'skipped' in fastapi ? null : ours.requestsPerSecond / fastapi.requestsPerSecond,
  };
}

async function withChild<T>(child: Child, fn: (child: Child) => Promise<T>): Promise<T> {
  try {
    return await fn(child);
  } finally {
    await child.stop();
  }
}

/** The references have no health route: an unsigned POST answering 401 means they are up. */
async function waitForPost(child: Child, url: string): Promise<void> {
  await waitForHttp(child, url, 20_000, { method: 'POST', ok: (status) => status === 401 });
}
