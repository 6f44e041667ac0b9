import { inSpan, traceCarrierSchema } from '@ai-agents/shared';
import { type Job, UnrecoverableError } from 'bullmq';
import type { JobOutcome, WorkerMetrics } from './metrics.js';

/**
 * Runs one job attempt inside a span that continues the webhook's trace (the context the API put in
 * the job) and records its duration and outcome.
 */
export async function observeJob<T>(
  job: Job,
  metrics: WorkerMetrics | undefined,
  run: () => Promise<T>,
  outcomeOf: (result: T) => JobOutcome,
): Promise<T> {
  const carried = traceCarrierSchema.safeParse((job.data as { trace?: unknown } | undefined)?.trace);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  return inSpan(
    job.name,
    async (span) => {
      span.setAttribute('messaging.message.id', job.id ?? '');
      span.setAttribute('messaging.destination.name', job.queueName);
      try {
        const result = await run();
        metrics?.observeJob(outcomeOf(result), seconds());
        return result;
      } catch (error) {
        const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        metrics?.observeJob(final ? 'failed' : 'retry', seconds());
        throw error;
      }
    },
    carried.success ? carried.data : undefined,
  );
}
