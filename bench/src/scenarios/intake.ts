import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

// What bench/reference/fastapi_reference.py imports (and `python3 -m uvicorn` runs), and the Debian
// packages that hold them: Celery's Redis broker needs the redis client, which Celery only suggests.
const PYTHON_MODULES = 'import fastapi, uvicorn, celery, redis';
const DEBIAN_PACKAGES = ['python3-fastapi', 'python3-uvicorn', 'python3-celery', 'python3-redis'];
// Installing them takes about a minute on a fresh machine; past this the comparison is skipped.
const INSTALL_TIMEOUT_MS = 5 * 60_000;

/**
 * The first interpreter that has the modules. A version manager's python3 may shadow
 * /usr/bin/python3 (where Debian's packages install) on PATH, so both are tried.
 */
export function findFastapiPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', PYTHON_MODULES], { stdio: 'ignore', timeout: 20_000 });
    if (probe.status === 0) return python;
  }
  return undefined;
}

/** Runs a command to its end (bounded), without blocking the event loop that runs the watchdog. */
function run(command: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; tail: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, tail: error.message });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, tail: stderr.trim().split('\n').slice(-3).join(' / ') });
    });
  });
}

/**
 * The interpreter for the FastAPI + Celery comparison, installing Debian's packages first when they
 * are missing and this process may (root, with apt-get); otherwise why it is skipped.
 */
export async function ensureFastapiPython(
  say: (m: string) => void,
): Promise<{ python: string } | { skipped: string }> {
  const found = findFastapiPython();
  if (found) return { python: found };
  const missing = `${DEBIAN_PACKAGES.join(', ')} are not installed`;
  if (process.getuid?.() !== 0) return { skipped: `${missing}, and installing them needs root` };
  if (!existsSync('/usr/bin/apt-get'))
    return { skipped: `${missing}, and there is no apt-get to install them` };
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  const install = () =>
    run(
      'apt-get',
      ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...DEBIAN_PACKAGES],
      Math.max(1_000, deadline - Date.now()),
    );
  say(`intake: installing ${DEBIAN_PACKAGES.join(' ')} with apt-get for the FastAPI + Celery comparison`);
  let result = await install();
  if (!result.ok) {
    // Stale package lists are the usual reason on a machine that has not run apt-get for a while.
    say('intake: apt-get install failed; refreshing the package lists once and trying again');
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], Math.max(1_000, deadline - Date.now()));
    result = await install();
  }
  const python = result.ok ? findFastapiPython() : undefined;
  if (python) return { python };
  return {
    skipped: `${missing}, and apt-get could not install them (${result.tail || 'no modules after install'})`,
  };
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
  const interpreter = await ensureFastapiPython(say);
  if ('skipped' in interpreter) {
    fastapi = { skipped: interpreter.skipped };
    say(`intake: FastAPI + Celery skipped (${fastapi.skipped})`);
  } else {
    const { python } = interpreter;
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
