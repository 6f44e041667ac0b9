import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load.js';
import { type BenchResults, resultsName } from '../results.js';
import type { ConcurrencyLevel } from '../scenarios/concurrency.js';
import type { CountsResult } from '../scenarios/counts.js';
import type { RetrievalResult } from '../scenarios/retrieval.js';
import type { EmbeddingRetrievalResult } from '../scenarios/retrieval-embedding.js';
import type { SweepResult } from '../scenarios/sweep.js';
import { checkTargets } from './targets.js';

const load = (requestsPerSecond: number, p99Ms: number, errors = 0): LoadResult => ({
  requestsPerSecond,
  p50Ms: p99Ms / 2,
  p99Ms,
  requests: requestsPerSecond * 10,
  errors,
  durationSec: 10,
});

function results(scenarios: BenchResults['scenarios']): BenchResults {
  return {
    mode: 'full',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationSec: 1,
    command: 'npm run bench',
    machine: { cpus: 2, cpuModel: 'test', memoryGb: 24, node: '20', os: 'Linux' },
    scenarios,
    failures: [],
    targets: [],
  };
}

const verdicts = (r: BenchResults) => Object.fromEntries(checkTargets(r).map((t) => [t.name, t.pass]));

const intake = (ours: LoadResult, fastapi: LoadResult | { skipped: string }) =>
  ({
    connections: 50,
    durationSec: 10,
    ours,
    reference: load(12_000, 8),
    guaranteed: load(8_000, 11),
    fastapi,
    oursOverReference: ours.requestsPerSecond / 12_000,
    oursOverGuaranteed: ours.requestsPerSecond / 8_000,
    oursOverFastapi: 'skipped' in fastapi ? null : ours.requestsPerSecond / fastapi.requestsPerSecond,
  }) as const;

const level = (
  llmLatencyMs: number,
  concurrency: number,
  workers: number,
  measuredPerSecond: number,
  workerPeakRssMb = 200,
): ConcurrencyLevel => {
  const idealPerSecond = (concurrency * workers) / (llmLatencyMs / 1000);
  return {
    llmLatencyMs,
    concurrency,
    workers,
    windowSec: 10,
    idealPerSecond,
    measuredPerSecond,
    shareOfIdeal: measuredPerSecond / idealPerSecond,
    stageMeansMs: {},
    workerPeakRssMb,
  };
};

const counts = (redisTrips: number, pgTrips: number): CountsResult => ({
  webhooks: 300,
  intake: {
    redisRoundTripsPerWebhook: redisTrips,
    redisCommandsPerWebhook: 7,
    postgresRoundTripsPerWebhook: 0,
  },
  jobs: 300,
  worker: { postgresRoundTripsPerEnhancement: pgTrips, redisCommandsPerJob: 4.3, redisRoundTripsPerJob: 3.1 },
});

const retrieval = (historyTickets: number, tenants: number, p95Ms: number): RetrievalResult => ({
  historyTickets,
  tenants,
  databaseTickets: 250_000,
  queries: 500,
  p50Ms: p95Ms / 2,
  p95Ms,
  p99Ms: p95Ms * 1.5,
  loadSeconds: 60,
});

describe('checkTargets', () => {
  it('holds intake to 0.9 × the reference with guarantees, p99 ≤ 15 ms and no errors; the ceiling and FastAPI are context', () => {
    expect(verdicts(results({ intake: intake(load(7_300, 15), load(1_600, 40)) }))).toEqual({
      'intake vs reference + guarantees': true,
      'intake vs minimal reference (the ceiling)': null,
      'intake p99 at 50 connections': true,
      'intake errors': true,
      'intake vs FastAPI + Celery': null,
    });
    // 0.88 × the reference with guarantees (and far below the minimal one, which has no target).
    expect(verdicts(results({ intake: intake(load(7_040, 15.5, 3), { skipped: 'no apt-get' }) }))).toEqual({
      'intake vs reference + guarantees': false,
      'intake vs minimal reference (the ceiling)': null,
      'intake p99 at 50 connections': false,
      'intake errors': false,
      'intake vs FastAPI + Celery': null,
    });
    const rows = checkTargets(results({ intake: intake(load(9_000, 9), { skipped: 'no apt-get' }) }));
    expect(rows.filter((t) => t.context).map((t) => t.name)).toEqual([
      'intake vs minimal reference (the ceiling)',
      'intake vs FastAPI + Celery',
    ]);
    expect(rows.find((t) => t.name === 'intake vs FastAPI + Celery')?.note).toBe('no apt-get');
  });

  it('checks concurrency at 2 s: 200 slots ≥ 90% of ideal, two workers ≥ 1.8 × one, RSS ≤ 300 MB; 500 ms is context', () => {
    const met = results({
      concurrency: {
        levels: [
          level(500, 200, 1, 240),
          level(2_000, 100, 1, 48),
          level(2_000, 200, 1, 91, 280),
          level(2_000, 100, 2, 90),
        ],
      },
    });
    expect(verdicts(met)).toEqual({
      'concurrency 200, LLM 2 s, one worker': true,
      'two workers × 100 vs one × 100, LLM 2 s': true,
      'concurrency 200, LLM 500 ms': null,
      'worker RSS at concurrency 200, LLM 2 s': true,
    });
    const missed = results({
      concurrency: {
        levels: [level(2_000, 100, 1, 50), level(2_000, 200, 1, 89, 301), level(2_000, 100, 2, 89)],
      },
    });
    expect(verdicts(missed)).toEqual({
      'concurrency 200, LLM 2 s, one worker': false,
      'two workers × 100 vs one × 100, LLM 2 s': false,
      'worker RSS at concurrency 200, LLM 2 s': false,
    });
  });

  it('holds the wire counts and worker CPU to their limits; Redis commands per job and the old pipeline rate are context', () => {
    const pipeline = (cpuMsPerEnhancement: number) => ({
      jobs: 3000,
      concurrency: 20,
      enhancementsPerSecond: 257,
      noopCeilingPerSecond: 10_000,
      shareOfCeiling: 0.03,
      cpuMsPerEnhancement,
      machineCpuMsPerEnhancement: 6.5,
      noopCpuMsPerJob: 0.1,
      stages: [],
    });
    expect(verdicts(results({ counts: counts(2, 5), workerPipeline: pipeline(2) }))).toEqual({
      'Redis round trips per accepted webhook': true,
      'Postgres round trips per enhancement': true,
      'Redis commands per job (worker)': null,
      'worker CPU per enhancement': true,
      'worker pipeline, instant fakes, concurrency 20': null,
    });
    expect(verdicts(results({ counts: counts(3, 6), workerPipeline: pipeline(3.09) }))).toEqual({
      'Redis round trips per accepted webhook': false,
      'Postgres round trips per enhancement': false,
      'Redis commands per job (worker)': null,
      'worker CPU per enhancement': false,
      'worker pipeline, instant fakes, concurrency 20': null,
    });
    const cpu = checkTargets(results({ workerPipeline: pipeline(3.09) })).find(
      (t) => t.name === 'worker CPU per enhancement',
    );
    expect(cpu?.measured).toBe('3.09 ms (whole machine 6.50 ms)');
  });

  it('checks retrieval at 50,000 in one tenant and 250,000 over 25, and not below those sizes', () => {
    expect(
      verdicts(
        results({
          retrieval: retrieval(50_000, 1, 25),
          retrievalAtScale: retrieval(250_000, 25, 40.1),
          endToEnd: {
            ticketsPerSecond: 20,
            tickets: 300,
            llmLatencyMs: 200,
            overheadP50Ms: 20,
            overheadP95Ms: 45,
            rawP95Ms: 245,
          },
          memory: { peakRssMb: { api: 150, worker: 320 } },
        }),
      ),
    ).toEqual({
      'end-to-end overhead p95 at 20/s': true,
      'retrieval p95, 50,000 tickets in one tenant': true,
      'retrieval p95, 250,000 tickets over 25 tenants': false,
      'api peak RSS': true,
      'worker peak RSS': false,
    });
    const quick = verdicts(
      results({ retrieval: retrieval(2_000, 1, 99), retrievalAtScale: retrieval(10_000, 25, 99) }),
    );
    expect(quick).toEqual({
      'retrieval p95, 2,000 tickets in one tenant': null,
      'retrieval p95, 10,000 tickets over 25 tenants': null,
    });
  });
});

describe('checkTargets for retrieval by meaning', () => {
  const byMeaning = (historyTickets: number, over: Partial<EmbeddingRetrievalResult> = {}) => ({
    historyTickets,
    fitSeconds: 6,
    fitCpuSeconds: 5,
    fitPeakMb: 120,
    fitProcessPeakMb: 300,
    fitLoadAverage: 1.5,
    embedSeconds: 20,
    queries: 500,
    p50Ms: 10,
    p95Ms: 20,
    p99Ms: 30,
    ...over,
  });

  it('checks the LSA fit (time, peak memory) and the p95 with the embedding search at 50,000', () => {
    expect(verdicts(results({ retrievalByMeaning: byMeaning(50_000) }))).toEqual({
      'LSA fit time, 50,000 tickets': true,
      'LSA fit peak memory, 50,000 tickets': true,
      'retrieval p95 with the embedding search, 50,000 tickets in one tenant': true,
    });
    const slow = byMeaning(50_000, { fitSeconds: 10, fitPeakMb: 200, p95Ms: 25.1 });
    expect(verdicts(results({ retrievalByMeaning: slow }))).toEqual({
      'LSA fit time, 50,000 tickets': false,
      'LSA fit peak memory, 50,000 tickets': false,
      'retrieval p95 with the embedding search, 50,000 tickets in one tenant': false,
    });
    const fit = checkTargets(results({ retrievalByMeaning: slow })).find((t) =>
      t.name.startsWith('LSA fit time'),
    );
    expect(fit?.measured).toBe('10.0 s (CPU 5.0 s, load 1.5)');
  });

  it('reports a smaller run without checking it', () => {
    const quick = checkTargets(results({ retrievalByMeaning: byMeaning(2_000, { fitSeconds: 99 }) }));
    expect(quick.map((t) => t.pass)).toEqual([null, null, null]);
    expect(quick[0]?.note).toMatch(/fewer than 50,000 tickets/);
  });
});

describe('checkTargets for the reconcile sweep', () => {
  const sweep = (over: Partial<SweepResult>): SweepResult => ({
    tenants: 1_005,
    idleTenants: 1_000,
    busyTenants: 5,
    intervalSec: 30,
    callsPerIdleTenantPerInterval: 1,
    firstSweepCallsPerIdleTenant: 1,
    sweepSeconds: [12, 9],
    observedIntervalSec: 30,
    newTicketsNotedSec: 14,
    ...over,
  });

  it('holds an idle tenant to one SDP call per interval and 1,000 tenants to 60 s a sweep', () => {
    expect(verdicts(results({ sweep: sweep({}) }))).toEqual({
      'SDP calls per idle tenant per sweep interval': true,
      'time to sweep 1,005 tenants (5 with a new ticket)': true,
      'sweep start → note on each new ticket': null,
    });
    // A second call per tenant (1.001: one tenant in a thousand), a tenant not swept (0.999), the slowest sweep over 60 s.
    for (const calls of [1.001, 0.999, 2])
      expect(verdicts(results({ sweep: sweep({ callsPerIdleTenantPerInterval: calls }) }))).toMatchObject({
        'SDP calls per idle tenant per sweep interval': false,
      });
    expect(verdicts(results({ sweep: sweep({ sweepSeconds: [12, 60.5] }) }))).toMatchObject({
      'time to sweep 1,005 tenants (5 with a new ticket)': false,
    });
  });

  it('reports the time of a smaller sweep (--quick) without checking it', () => {
    const quick = checkTargets(
      results({ sweep: sweep({ tenants: 203, idleTenants: 200, busyTenants: 3, sweepSeconds: [90] }) }),
    );
    const time = quick.find((t) => t.name === 'time to sweep 203 tenants (3 with a new ticket)');
    expect(time?.pass).toBeNull();
    expect(time?.measured).toBe('90.0 s (sweeps: 90.0 s)');
  });
});

describe('resultsName', () => {
  it('keeps latest.* for full runs and names quick and partial runs apart', () => {
    expect(resultsName({ quick: false })).toBe('latest');
    expect(resultsName({ quick: true })).toBe('quick');
    expect(resultsName({ quick: false, only: ['intake', 'counts'] })).toBe('only-intake,counts');
    expect(resultsName({ quick: true, only: ['retrieval'] })).toBe('quick-only-retrieval');
  });
});
