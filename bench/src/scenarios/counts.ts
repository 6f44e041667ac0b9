import { createInterface } from 'node:readline';
import pg from 'pg';
import { type Child, describeExit } from '../processes.js';
import { type Stack, sendWebhook } from '../stack.js';
import { sleep } from '../stats.js';
import { type CountingProxy, countsSince, startCountingProxy, type WireCounts } from '../wire-count.js';
import { queueTickets } from './worker-pipeline.js';

export interface CountsResult {
  webhooks: number;
  /** Per accepted webhook, the API's traffic (one webhook at a time, so no two share a trip). */
  intake: {
    redisRoundTripsPerWebhook: number;
    redisCommandsPerWebhook: number;
    postgresRoundTripsPerWebhook: number;
  };
  jobs: number;
  /** Per finished job, one worker's traffic while it drains them (enhancement = one job), as shipped. */
  worker: {
    postgresRoundTripsPerEnhancement: number;
    redisCommandsPerJob: number;
    redisRoundTripsPerJob: number;
  };
}

/**
 * Postgres round trips and Redis commands counted on the wire, by counting proxies between the
 * process under test and the servers (bench/src/wire-count.ts). A count does not drift with the
 * machine, so this short run (a few hundred webhooks and jobs) is its own scenario, apart from the
 * throughput runs, where the extra hop of the proxy would cost time.
 */
export async function runCounts(
  stack: Stack,
  opts: { webhooks: number; jobs: number },
  say: (m: string) => void,
): Promise<CountsResult> {
  await stack.resetQueue();
  stack.llm.clearFaults();
  const proxies: CountingProxy[] = [];
  const proxy = async (protocol: 'postgres' | 'redis', url: string) => {
    const p = await startCountingProxy({ protocol, targetPort: Number(new URL(url).port) });
    proxies.push(p);
    // Closed at the end of this run; should the bench stop before, with the stack.
    stack.defer(() => p.close());
    return p;
  };
  try {
    const pgProxy = await proxy('postgres', stack.database.appUrl);
    const redisProxy = await proxy('redis', stack.redis.url);
    const routed = {
      DATABASE_URL: pgProxy.url(stack.database.appUrl),
      REDIS_URL: redisProxy.url(stack.redis.url),
    };

    say(`counts: ${opts.webhooks} webhooks, one at a time, to an API behind counting proxies`);
    const api = await stack.startApi(routed);
    let intake: CountsResult['intake'];
    try {
      const webhookUrl = `${api.url}/v1/webhooks/servicedesk/${stack.tenant.slug}`;
      // Warm-up: the tenant cache, the Lua scripts loaded into Redis, the pools' connections.
      for (let i = 0; i < 20; i++)
        await sendWebhook(webhookUrl, stack.tenant.secret, `counts-warm-${i}`, String(900_000 + i));
      const pgBefore = pgProxy.counts();
      const redisBefore = redisProxy.counts();
      // sendWebhook insists on 202, so every one of them was accepted.
      for (let i = 0; i < opts.webhooks; i++)
        await sendWebhook(webhookUrl, stack.tenant.secret, `counts-${i}`, String(800_000 + i));
      const redis = checked(countsSince(redisBefore, redisProxy.counts()), 'Redis (API)');
      const postgres = checked(countsSince(pgBefore, pgProxy.counts()), 'Postgres (API)');
      intake = {
        redisRoundTripsPerWebhook: redis.roundTrips / opts.webhooks,
        redisCommandsPerWebhook: redis.commands / opts.webhooks,
        postgresRoundTripsPerWebhook: postgres.roundTrips / opts.webhooks,
      };
    } finally {
      await api.child.stop();
    }

    await stack.resetQueue();
    say(`counts: ${opts.jobs} jobs drained by one worker behind counting proxies (instant fakes)`);
    // Alert-storm grouping as shipped (on): its query is one of an enhancement's round trips. Each
    // ticket has a requester of its own (queueTickets), so no two form a storm and every job is a
    // full enhancement.
    const worker = stack.startWorker({ ...routed, ALERT_STORM_DEDUPE: 'true' }, 'pipe');
    const owner = new pg.Client({ connectionString: stack.database.ownerUrl });
    await owner.connect();
    try {
      await waitForLine(worker, 'worker started', 30_000);
      // Let the worker's start-up traffic (script loading, the first blocking fetch) settle.
      await sleep(500);
      const finishedBefore = await finishedEnhancements(owner);
      const pgBefore = pgProxy.counts();
      const redisBefore = redisProxy.counts();
      // Through the main API, which is not behind the proxies: only the worker's traffic is counted.
      await queueTickets(stack, opts.jobs, 'counts');
      const deadline = Date.now() + 60_000;
      while ((await finishedEnhancements(owner)) - finishedBefore < opts.jobs) {
        if (worker.process.exitCode !== null) throw new Error(describeExit(worker));
        if (Date.now() > deadline) throw new Error(`counts: ${opts.jobs} jobs did not finish within 60 s`);
        await sleep(100);
      }
      // The job's completion reaches Redis just after its row; its backlog release after that.
      await sleep(500);
      const postgres = checked(countsSince(pgBefore, pgProxy.counts()), 'Postgres (worker)');
      const redis = checked(countsSince(redisBefore, redisProxy.counts()), 'Redis (worker)');
      return {
        webhooks: opts.webhooks,
        intake,
        jobs: opts.jobs,
        worker: {
          postgresRoundTripsPerEnhancement: postgres.roundTrips / opts.jobs,
          redisCommandsPerJob: redis.commands / opts.jobs,
          redisRoundTripsPerJob: redis.roundTrips / opts.jobs,
        },
      };
    } finally {
      await owner.end();
      await worker.stop();
    }
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
  }
}

/** A count is only as good as the streams it followed: one connection lost makes it too low. */
function checked(counts: WireCounts, what: string): WireCounts {
  if (counts.unparsed > 0)
    throw new Error(`counts: ${counts.unparsed} ${what} connection(s) could not be followed (TLS?)`);
  return counts;
}

async function finishedEnhancements(owner: pg.Client): Promise<number> {
  const { rows } = await owner.query<{ n: number }>(
    "select count(*)::int as n from enhancements where status in ('posted', 'failed', 'skipped')",
  );
  return rows[0]?.n ?? 0;
}

/** Resolves once the child writes a stdout line containing `text`. */
export async function waitForLine(child: Child, text: string, timeoutMs: number): Promise<void> {
  const stdout = child.process.stdout;
  if (!stdout) throw new Error(`${child.name}: stdout is not piped`);
  const lines = createInterface({ input: stdout });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${child.name} did not log "${text}" within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      lines.on('line', (line) => {
        if (!line.includes(text)) return;
        clearTimeout(timer);
        resolve();
      });
      child.process.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(describeExit(child)));
      });
    });
  } finally {
    // Closing the reader pauses the stream; resumed, other readers (or none) keep it drained, so
    // the child never blocks on a full pipe.
    lines.close();
    stdout.resume();
  }
}
