import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Child, cpuSeconds, describeExit, machineBusySeconds, ROOT, startNode } from '../processes.js';
import { type Stack, sendWebhooks } from '../stack.js';
import { mean, percentile, round, sleep } from '../stats.js';

export interface StageTime {
  stage: string;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

export interface WorkerPipelineResult {
  jobs: number;
  concurrency: number;
  enhancementsPerSecond: number;
  noopCeilingPerSecond: number;
  shareOfCeiling: number;
  /** Worker CPU time (user + system) per enhancement, and the no-op worker's per job. */
  cpuMsPerEnhancement: number;
  /**
   * Busy CPU of the whole machine per enhancement over the same window: the worker, Postgres, the
   * sandbox fakes in the bench process, Redis and the kernel. Times the rate, it says how many cores
   * a given throughput needs here.
   */
  machineCpuMsPerEnhancement: number;
  noopCpuMsPerJob: number;
  /** From the stages of the worker's "note posted" log lines; empty when the worker logs none. */
  stages: StageTime[];
}

/** Creates `count` tickets in the sandbox SDP and queues one webhook per ticket through the API. */
export async function queueTickets(stack: Stack, count: number, runId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const request = stack.sdp.addRequest({
      subject: `VPN drops every few minutes on the office wifi (${runId} ${i})`,
      // One requester per ticket: the same subject from one sender is an alert storm, whose followers
      // skip the context and the LLM; the scenarios measure full enhancements.
      requester: { name: `Bench user ${i}`, email_id: `bench.user.${i}@example.com` },
      description: '<p>Since this morning the VPN client disconnects every few minutes; re-login works.</p>',
    });
    ids.push(request.id);
  }
  await sendWebhooks(
    stack.webhookUrl(),
    stack.tenant.secret,
    ids.map((requestId) => ({ eventId: `${runId}-${requestId}`, requestId })),
  );
  return ids;
}

/**
 * Watches the sandbox SDP (in this process) for the first note on each ticket. Only tickets still
 * waiting are looked at, so polling stays cheap while thousands of notes arrive.
 */
export function trackNotes(stack: Stack, ids: readonly string[]) {
  const pending = new Set(ids);
  /** Ticket id → when its note was stored (the fake's own clock, epoch ms). */
  const postedAt = new Map<string, number>();
  return {
    postedAt,
    poll(): number {
      for (const id of pending) {
        const note = stack.sdp.notes(id)[0];
        if (!note) continue;
        postedAt.set(id, Number(note.created_time.value));
        pending.delete(id);
      }
      return postedAt.size;
    },
  };
}

export type NoteTracker = ReturnType<typeof trackNotes>;

/**
 * Collects the `stages` object of each "note posted" line the worker writes to stdout, into
 * `stages` (shared by the workers of one run).
 */
export function collectStages(
  child: Child,
  stages: Array<Record<string, number>> = [],
): Array<Record<string, number>> {
  if (!child.process.stdout) return stages;
  const lines = createInterface({ input: child.process.stdout });
  lines.on('line', (line) => {
    if (!line.includes('"stages"')) return;
    try {
      const entry = JSON.parse(line) as { stages?: Record<string, number> };
      if (entry.stages) stages.push(entry.stages);
    } catch {
      // Not a JSON log line: ignore.
    }
  });
  return stages;
}

export function summariseStages(samples: Array<Record<string, number>>): StageTime[] {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  return names.map((stage) => {
    const values = samples.map((s) => s[stage]).filter((v): v is number => typeof v === 'number');
    return {
      stage,
      meanMs: round(mean(values), 2),
      p50Ms: round(percentile(values, 50), 2),
      p95Ms: round(percentile(values, 95), 2),
    };
  });
}

/** Waits until `target` notes are posted, failing on a dead worker or after `timeoutMs`. */
export async function waitForNotes(
  tracker: NoteTracker,
  worker: Child,
  target: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const posted = tracker.poll();
    if (posted >= target) return performance.now();
    if (worker.process.exitCode !== null) throw new Error(describeExit(worker));
    if (Date.now() > deadline)
      throw new Error(`only ${posted} of ${target} notes were posted within ${timeoutMs / 1000} s`);
    // Each note's own timestamp is kept, so a coarse poll loses no precision and leaves the CPU
    // to the processes being measured.
    await sleep(100);
  }
}

/**
 * N queued tickets drained by one worker process with instant fakes (our overhead), and the same
 * number of jobs drained by a BullMQ no-op processor (the ceiling). The rate is taken between the
 * 10th percentile note and the last, so process start-up is not counted.
 */
export async function runWorkerPipeline(
  stack: Stack,
  opts: { jobs: number; concurrency: number },
  say: (m: string) => void,
): Promise<WorkerPipelineResult> {
  await stack.resetQueue();
  stack.llm.clearFaults();
  say(`worker pipeline: queueing ${opts.jobs} tickets through the API`);
  const ids = await queueTickets(stack, opts.jobs, 'pipeline');
  say(`worker pipeline: one worker (concurrency ${opts.concurrency}), instant sandbox SDP and LLM`);
  const worker = stack.startWorker({ WORKER_CONCURRENCY: String(opts.concurrency) }, 'pipe');
  const stages = collectStages(worker);
  const tracker = trackNotes(stack, ids);
  let rate: number;
  let cpuMs: number;
  let machineCpuMs: number;
  try {
    await waitForNotes(tracker, worker, Math.floor(opts.jobs * 0.1), 60_000);
    const doneBefore = tracker.poll();
    const cpuBefore = cpuSeconds(worker.process.pid) ?? Number.NaN;
    const machineBefore = machineBusySeconds() ?? Number.NaN;
    await waitForNotes(tracker, worker, opts.jobs, 120_000);
    const done = opts.jobs - doneBefore;
    cpuMs = (((cpuSeconds(worker.process.pid) ?? Number.NaN) - cpuBefore) / done) * 1000;
    machineCpuMs = (((machineBusySeconds() ?? Number.NaN) - machineBefore) / done) * 1000;
    // From the notes' own timestamps: the 10th percentile note to the last.
    const times = [...tracker.postedAt.values()].sort((a, b) => a - b);
    const from = Math.floor(opts.jobs * 0.1);
    rate = ((times.length - 1 - from) / ((times.at(-1) as number) - (times[from] as number))) * 1000;
  } finally {
    await worker.stop();
  }

  await stack.resetQueue();
  say('worker pipeline: BullMQ no-op processor (bench/reference/noop-worker.ts)');
  const noop = startNode(
    'noop-worker',
    join(ROOT, 'bench/dist/reference/noop-worker.js'),
    {},
    {
      stdout: 'pipe',
      args: [
        JSON.stringify({
          redisUrl: stack.redis.url,
          prefix: 'noop',
          jobs: opts.jobs,
          concurrency: opts.concurrency,
        }),
      ],
    },
  );
  let output = '';
  noop.process.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => noop.process.once('exit', resolve));
  if (code !== 0) throw new Error(describeExit(noop));
  const { jobsPerSecond, cpuMsPerJob } = JSON.parse(output) as { jobsPerSecond: number; cpuMsPerJob: number };

  return {
    jobs: opts.jobs,
    concurrency: opts.concurrency,
    enhancementsPerSecond: rate,
    noopCeilingPerSecond: jobsPerSecond,
    shareOfCeiling: rate / jobsPerSecond,
    cpuMsPerEnhancement: cpuMs,
    machineCpuMsPerEnhancement: machineCpuMs,
    noopCpuMsPerJob: cpuMsPerJob,
    stages: summariseStages(stages),
  };
}
