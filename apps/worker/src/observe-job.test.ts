import { type Job, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createWorkerMetrics } from './metrics.js';
import { observeJob } from './observe-job.js';
import type { EnhanceResult } from './processors/enhance-ticket.js';
import { enhanceOutcome, historyOutcome } from './processors/index.js';

function fakeJob(attemptsMade: number, attempts = 8, data: unknown = {}): Job {
  return {
    id: 'j1',
    name: 'enhance-ticket',
    queueName: 'enhance',
    attemptsMade,
    opts: { attempts },
    data,
  } as Job;
}

async function outcomes(metrics: ReturnType<typeof createWorkerMetrics>) {
  const text = await metrics.registry.metrics();
  return Object.fromEntries(
    [...text.matchAll(/^enhance_jobs_total\{outcome="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

describe('observeJob', () => {
  it('counts each attempt by outcome: posted, fallback, already posted, history, retry, failed for good', async () => {
    const metrics = createWorkerMetrics();
    const posted = (fallback: boolean) => async (): Promise<EnhanceResult> => ({
      outcome: 'posted',
      noteId: '1',
      fallback,
      citations: [],
    });
    await observeJob(fakeJob(0), metrics, posted(false), enhanceOutcome);
    await observeJob(fakeJob(0), metrics, posted(true), enhanceOutcome);
    await observeJob(
      fakeJob(0),
      metrics,
      async () => ({ outcome: 'already_posted', noteId: null }) as const,
      enhanceOutcome,
    );
    await observeJob(
      fakeJob(0),
      metrics,
      async () => ({ outcome: 'added', requestId: '7' }) as const,
      historyOutcome,
    );
    const boom = async () => {
      throw new Error('SDP 503');
    };
    await expect(observeJob(fakeJob(0), metrics, boom, enhanceOutcome)).rejects.toThrow('SDP 503');
    await expect(observeJob(fakeJob(7), metrics, boom, enhanceOutcome)).rejects.toThrow('SDP 503');
    await expect(
      observeJob(
        fakeJob(0),
        metrics,
        async () => {
          throw new UnrecoverableError('Tenant is disabled');
        },
        enhanceOutcome,
      ),
    ).rejects.toThrow('Tenant is disabled');
    expect(await outcomes(metrics)).toEqual({
      posted: 1,
      fallback: 1,
      already_posted: 1,
      history: 1,
      retry: 1,
      failed: 2,
    });
  });

  it('ignores a malformed trace carrier instead of failing the job', async () => {
    const job = fakeJob(0, 8, { trace: { traceparent: 'not-a-traceparent' } });
    await expect(
      observeJob(
        job,
        undefined,
        async () => 'done',
        () => 'posted',
      ),
    ).resolves.toBe('done');
  });
});
