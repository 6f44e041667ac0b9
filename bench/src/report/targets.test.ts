import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load.js';
import type { BenchResults } from '../results.js';
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

describe('checkTargets', () => {
  it('holds intake to 0.8 × the reference, p99 ≤ 15 ms, no errors and 8 × FastAPI', () => {
    const intake = (ours: LoadResult, fastapiRps: number) =>
      results({
        intake: {
          connections: 50,
          durationSec: 10,
          ours,
          reference: load(10_000, 8),
          guaranteed: load(7_000, 11),
          fastapi: load(fastapiRps, 50),
          oursOverReference: ours.requestsPerSecond / 10_000,
          oursOverGuaranteed: ours.requestsPerSecond / 7_000,
          oursOverFastapi: ours.requestsPerSecond / fastapiRps,
        },
      });
    expect(verdicts(intake(load(8_500, 12), 1_000))).toEqual({
      'intake vs minimal reference': true,
      'intake p99 at 50 connections': true,
      'intake errors': true,
      'intake vs FastAPI + Celery': true,
    });
    expect(verdicts(intake(load(7_900, 16, 3), 1_000))).toEqual({
      'intake vs minimal reference': false,
      'intake p99 at 50 connections': false,
      'intake errors': false,
      'intake vs FastAPI + Celery': false,
    });
  });

  it('neither passes nor fails what was not measured: a skipped FastAPI, retrieval below 50,000', () => {
    const r = results({
      intake: {
        connections: 50,
        durationSec: 3,
        ours: load(9_000, 10),
        reference: load(10_000, 8),
        guaranteed: load(9_500, 9),
        fastapi: { skipped: 'not installed' },
        oursOverReference: 0.9,
        oursOverGuaranteed: 0.95,
        oursOverFastapi: null,
      },
      retrieval: { historyTickets: 10_000, queries: 100, p50Ms: 90, p95Ms: 99, p99Ms: 120, loadSeconds: 3 },
    });
    const v = verdicts(r);
    expect(v['intake vs FastAPI + Celery']).toBeNull();
    expect(v['retrieval p95 at 10,000 tickets']).toBeNull();
  });

  it('checks concurrency at 200, end-to-end p95, retrieval at 50,000 and peak RSS', () => {
    const r = results({
      concurrency: {
        llmLatencyMs: 500,
        windowSec: 8,
        levels: [
          {
            concurrency: 200,
            idealPerSecond: 400,
            measuredPerSecond: 350,
            shareOfIdeal: 0.875,
            stageMeansMs: {},
          },
        ],
      },
      endToEnd: {
        ticketsPerSecond: 20,
        tickets: 300,
        llmLatencyMs: 200,
        overheadP50Ms: 20,
        overheadP95Ms: 45,
        rawP95Ms: 245,
      },
      retrieval: { historyTickets: 50_000, queries: 500, p50Ms: 10, p95Ms: 26, p99Ms: 30, loadSeconds: 20 },
      memory: { peakRssMb: { api: 150, worker: 320 } },
    });
    expect(verdicts(r)).toEqual({
      'concurrency 200, LLM 500 ms': false,
      'end-to-end overhead p95 at 20/s': true,
      'retrieval p95 at 50,000 tickets': false,
      'api peak RSS': true,
      'worker peak RSS': false,
    });
  });
});
