import type { Stack } from '../stack.js';
import { sleep } from '../stats.js';
import { collectStages, queueTickets, summariseStages, trackNotes, waitForNotes } from './worker-pipeline.js';

export interface ConcurrencyLevel {
  concurrency: number;
  idealPerSecond: number;
  measuredPerSecond: number;
  shareOfIdeal: number;
  /** Mean time per pipeline step at this concurrency, from the worker's "note posted" lines. */
  stageMeansMs: Record<string, number>;
}

export interface ConcurrencyResult {
  llmLatencyMs: number;
  windowSec: number;
  levels: ConcurrencyLevel[];
}

/**
 * The fake LLM answers after `llmLatencyMs`; one worker at each concurrency drains a backlog big
 * enough to stay busy. Ideal throughput is concurrency ÷ latency: every slot always waiting on the
 * LLM and nothing else. Counted over a window that starts once the first notes are out.
 */
export async function runConcurrency(
  stack: Stack,
  opts: { llmLatencyMs: number; levels: number[]; windowSec: number },
  say: (m: string) => void,
): Promise<ConcurrencyResult> {
  const levels: ConcurrencyLevel[] = [];
  try {
    for (const concurrency of opts.levels) {
      await stack.resetQueue();
      stack.llm.clearFaults();
      const ideal = concurrency / (opts.llmLatencyMs / 1000);
      // Enough for the ramp-up second and the window, with a margin so the queue never runs dry.
      const jobs = Math.ceil(ideal * (opts.windowSec + 2) * 1.3);
      say(`concurrency ${concurrency}: queueing ${jobs} tickets; LLM latency ${opts.llmLatencyMs} ms`);
      const ids = await queueTickets(stack, jobs, `conc${concurrency}`);
      stack.llm.setFault({ latencyMs: opts.llmLatencyMs });
      // The worker's default pool (one connection per ten jobs, at least DATABASE_POOL_MAX) is measured.
      const worker = stack.startWorker({ WORKER_CONCURRENCY: String(concurrency) }, 'pipe');
      const stages = collectStages(worker);
      const tracker = trackNotes(stack, ids);
      try {
        await waitForNotes(tracker, worker, 1, 30_000);
        await sleep(1_000);
        const from = Date.now();
        const to = from + opts.windowSec * 1000;
        await sleep(opts.windowSec * 1000 + 200);
        const after = tracker.poll();
        // Counted by the notes' own timestamps, so the poll interval does not blur the window.
        const inWindow = [...tracker.postedAt.values()].filter((t) => t >= from && t < to).length;
        const measured = inWindow / opts.windowSec;
        if (after >= jobs)
          throw new Error(`concurrency ${concurrency}: the backlog ran dry; raise the margin`);
        levels.push({
          concurrency,
          idealPerSecond: ideal,
          measuredPerSecond: measured,
          shareOfIdeal: measured / ideal,
          stageMeansMs: Object.fromEntries(summariseStages(stages).map((s) => [s.stage, s.meanMs])),
        });
      } finally {
        stack.llm.clearFaults();
        await worker.stop();
      }
    }
  } finally {
    stack.llm.clearFaults();
  }
  return { llmLatencyMs: opts.llmLatencyMs, windowSec: opts.windowSec, levels };
}
