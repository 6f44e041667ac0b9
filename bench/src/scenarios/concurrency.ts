import { type Child, peakRssMb } from '../processes.js';
import { type Stack, sendWebhook, sendWebhooks } from '../stack.js';
import { sleep } from '../stats.js';
import { waitForLine } from './counts.js';
import { collectStages, summariseStages, trackNotes } from './worker-pipeline.js';

export interface ConcurrencyRun {
  llmLatencyMs: number;
  /** WORKER_CONCURRENCY of each worker process. */
  concurrency: number;
  workers: number;
  windowSec: number;
}

export interface ConcurrencyLevel extends ConcurrencyRun {
  idealPerSecond: number;
  measuredPerSecond: number;
  shareOfIdeal: number;
  /** Mean time per pipeline step in this run, from the workers' "note posted" lines. */
  stageMeansMs: Record<string, number>;
  /** The highest peak RSS (VmHWM) of this run's worker processes. */
  workerPeakRssMb: number;
}

export interface ConcurrencyResult {
  levels: ConcurrencyLevel[];
}

/**
 * Throughput of worker processes whose every job waits `llmLatencyMs` on the fake LLM. Ideal is
 * slots ÷ latency: every slot always waiting on the LLM and on nothing else.
 *
 * The first job of each slot arrives spread evenly over one LLM latency, as steady traffic would
 * bring them, and only then is the rest of the backlog queued. Queued all at once, every slot would
 * start together and finish together: at 2 s, one wave of 200 notes every ~2 s, and a 10 s window
 * would count four or five waves depending on where it fell (±20%). Staggered, the slots keep their
 * phases, because a slot that finishes takes the next waiting job at once. The window starts after
 * the backlog is queued, so the webhooks do not compete with the workers while they are measured.
 */
export async function runConcurrency(
  stack: Stack,
  opts: { runs: ConcurrencyRun[] },
  say: (m: string) => void,
): Promise<ConcurrencyResult> {
  const levels: ConcurrencyLevel[] = [];
  for (const run of opts.runs) levels.push(await measureRun(stack, run, say));
  return { levels };
}

async function measureRun(
  stack: Stack,
  run: ConcurrencyRun,
  say: (m: string) => void,
): Promise<ConcurrencyLevel> {
  const { llmLatencyMs, concurrency, workers, windowSec } = run;
  await stack.resetQueue();
  const slots = concurrency * workers;
  const ideal = slots / (llmLatencyMs / 1000);
  // The backlog covers queueing it (about a second for the largest, at ~4,000 webhooks/s), the
  // half-second settle and the window at the ideal rate, with a tenth to spare; the run fails
  // rather than measure a queue that ran dry.
  const backlog = Math.ceil(ideal * (windowSec + 2) * 1.1);
  const jobs = slots + backlog;
  const label = `${workers > 1 ? `${workers} workers × ` : ''}concurrency ${concurrency}, LLM ${llmLatencyMs} ms`;
  say(`concurrency: ${label}: ${jobs} tickets, ideal ${ideal.toFixed(0)}/s, ${windowSec} s window`);
  const ids = Array.from({ length: jobs }, (_, i) => {
    const request = stack.sdp.addRequest({
      subject: `VPN drops every few minutes on the office wifi (conc ${llmLatencyMs} ${slots} ${i})`,
      // One requester per ticket: the same subject from one sender is an alert storm (see queueTickets).
      requester: { name: `Bench user ${i}`, email_id: `bench.user.${i}@example.com` },
      description: '<p>Since this morning the VPN client disconnects every few minutes; re-login works.</p>',
    });
    return request.id;
  });
  const runId = `conc-${llmLatencyMs}-${concurrency}x${workers}`;
  stack.llm.setFault({ latencyMs: llmLatencyMs });
  const children: Child[] = [];
  try {
    const stages: Array<Record<string, number>> = [];
    for (let w = 0; w < workers; w++) {
      // The worker's default pool (one connection per ten jobs, at least DATABASE_POOL_MAX) is measured.
      const child = stack.startWorker({ WORKER_CONCURRENCY: String(concurrency) }, 'pipe');
      children.push(child);
      collectStages(child, stages);
    }
    await Promise.all(children.map((c) => waitForLine(c, 'worker started', 30_000)));

    const tracker = trackNotes(stack, ids);
    // One ticket per slot, evenly over one LLM latency, each sent at its time (not after the last
    // answered), then the backlog as fast as the API takes it.
    const step = llmLatencyMs / slots;
    const start = performance.now() + 20;
    const staggered: Promise<void>[] = [];
    for (let i = 0; i < slots; i++) {
      const wait = start + i * step - performance.now();
      if (wait > 0) await sleep(wait);
      const id = ids[i] as string;
      staggered.push(sendWebhook(stack.webhookUrl(), stack.tenant.secret, `${runId}-${id}`, id));
    }
    await Promise.all(staggered);
    await sendWebhooks(
      stack.webhookUrl(),
      stack.tenant.secret,
      ids.slice(slots).map((requestId) => ({ eventId: `${runId}-${requestId}`, requestId })),
    );
    await sleep(500);
    const from = Date.now();
    const to = from + windowSec * 1000;
    await sleep(windowSec * 1000 + 200);
    for (const child of children)
      if (child.process.exitCode !== null) throw new Error(`${child.name} exited during the run`);
    tracker.poll();
    const times = [...tracker.postedAt.values()];
    if (times.filter((t) => t < to).length + slots >= jobs)
      throw new Error(`${label}: the backlog ran dry in the window; raise its margin`);
    // Counted by the notes' own timestamps, so the poll interval does not blur the window.
    const measured = times.filter((t) => t >= from && t < to).length / windowSec;
    return {
      ...run,
      idealPerSecond: ideal,
      measuredPerSecond: measured,
      shareOfIdeal: measured / ideal,
      stageMeansMs: Object.fromEntries(summariseStages(stages).map((s) => [s.stage, s.meanMs])),
      workerPeakRssMb: Math.max(...children.map((c) => peakRssMb(c.process.pid) ?? 0)),
    };
  } finally {
    stack.llm.clearFaults();
    await Promise.all(children.map((c) => c.stop()));
  }
}
