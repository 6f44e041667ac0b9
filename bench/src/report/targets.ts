import type { BenchResults } from '../results.js';
import type { ConcurrencyLevel } from '../scenarios/concurrency.js';
import type { EmbeddingRetrievalResult } from '../scenarios/retrieval-embedding.js';
import type { SweepResult } from '../scenarios/sweep.js';

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: not checked in this run (skipped, too small in this mode, or context only). */
  pass: boolean | null;
  /** A row reported beside the targets without one of its own (a ceiling, an older comparison). */
  context?: boolean;
  note?: string;
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const thousands = (v: number) => v.toLocaleString('en-US');

/** The realistic LLM latency the concurrency targets are set at, and the older one kept as context. */
export const REALISTIC_LLM_MS = 2_000;
export const FAST_LLM_MS = 500;
/** Tickets at which the retrieval targets apply; smaller runs (--quick) report without checking. */
const RETRIEVAL_ONE_TENANT = 50_000;
const RETRIEVAL_AT_SCALE = { tickets: 250_000, tenants: 25 };
/** Issue 26's targets for the LSA fit of the one-tenant history. */
const LSA_FIT_SECONDS = 10;
const LSA_FIT_MB = 200;
/** Tenants at which the sweep-time target applies; --quick sweeps fewer and reports without checking. */
const SWEEP_TENANTS = 1_000;
/** Half the default RECONCILE_INTERVAL_SECONDS (120): every tenant is swept well before the next tick. */
const SWEEP_MAX_SECONDS = 60;

const context = (name: string, measured: string, note?: string): TargetCheck => ({
  name,
  target: 'context, no target',
  measured,
  pass: null,
  context: true,
  ...(note ? { note } : {}),
});

export function findLevel(
  levels: readonly ConcurrencyLevel[],
  llmLatencyMs: number,
  concurrency: number,
  workers = 1,
): ConcurrencyLevel | undefined {
  return levels.find(
    (l) => l.llmLatencyMs === llmLatencyMs && l.concurrency === concurrency && l.workers === workers,
  );
}

const share = (l: ConcurrencyLevel) =>
  `${fmt(l.shareOfIdeal * 100, 0)}% (${fmt(l.measuredPerSecond, 0)} of ${fmt(l.idealPerSecond, 0)}/s)`;

/**
 * The reconcile sweep: one SDP call per idle tenant per interval (its list call, counted in the fake
 * portal's log: fewer means a tenant was not swept, more a call the sweep could do without), and every
 * tenant swept within half the default interval.
 */
function sweepChecks(sweep: SweepResult | undefined): TargetCheck[] {
  if (!sweep) return [];
  const full = sweep.tenants >= SWEEP_TENANTS;
  const slowest = Math.max(...sweep.sweepSeconds);
  return [
    {
      name: 'SDP calls per idle tenant per sweep interval',
      target: '1',
      measured: `${fmt(sweep.callsPerIdleTenantPerInterval, 3)} (first sweep ${fmt(sweep.firstSweepCallsPerIdleTenant, 3)})`,
      pass: sweep.callsPerIdleTenantPerInterval === 1,
    },
    {
      name: `time to sweep ${thousands(sweep.tenants)} tenants (${sweep.busyTenants} with a new ticket)`,
      target: `≤ ${SWEEP_MAX_SECONDS} s at ${thousands(SWEEP_TENANTS)}`,
      measured: `${fmt(slowest, 1)} s (sweeps: ${sweep.sweepSeconds.map((s) => fmt(s, 1)).join(', ')} s)`,
      pass: full ? slowest <= SWEEP_MAX_SECONDS : null,
      ...(full ? {} : { note: `fewer than ${thousands(SWEEP_TENANTS)} tenants in this mode: not checked` }),
    },
    context(
      'sweep start → note on each new ticket',
      `${fmt(sweep.newTicketsNotedSec, 1)} s`,
      `interval ${sweep.intervalSec} s, observed ${fmt(sweep.observedIntervalSec, 1)} s`,
    ),
  ];
}

/**
 * Retrieval by meaning at the one-tenant size (issue 26): the LSA fit of the tenant's history under
 * 10 s and 200 MB (measured in a child process), and the worker's search with the embedding scan and
 * the fusion included within the same 25 ms p95 as BM25 alone.
 */
function byMeaningChecks(byMeaning: EmbeddingRetrievalResult | undefined): TargetCheck[] {
  if (!byMeaning) return [];
  const full = byMeaning.historyTickets >= RETRIEVAL_ONE_TENANT;
  const size = thousands(byMeaning.historyTickets);
  const unchecked = full
    ? {}
    : { note: `fewer than ${thousands(RETRIEVAL_ONE_TENANT)} tickets in this mode: not checked` };
  const at = `at ${thousands(RETRIEVAL_ONE_TENANT)}`;
  return [
    {
      name: `LSA fit time, ${size} tickets`,
      target: `< ${LSA_FIT_SECONDS} s ${at}`,
      measured: `${fmt(byMeaning.fitSeconds)} s (CPU ${fmt(byMeaning.fitCpuSeconds)} s, load ${fmt(byMeaning.fitLoadAverage)})`,
      pass: full ? byMeaning.fitSeconds < LSA_FIT_SECONDS : null,
      ...unchecked,
    },
    {
      name: `LSA fit peak memory, ${size} tickets`,
      target: `< ${LSA_FIT_MB} MB ${at}`,
      measured: `${fmt(byMeaning.fitPeakMb, 0)} MB (process ${fmt(byMeaning.fitProcessPeakMb, 0)} MB)`,
      pass: full ? byMeaning.fitPeakMb < LSA_FIT_MB : null,
      ...unchecked,
    },
    {
      name: `retrieval p95 with the embedding search, ${size} tickets in one tenant`,
      target: `≤ 25 ms ${at}`,
      measured: `${fmt(byMeaning.p95Ms)} ms`,
      pass: full ? byMeaning.p95Ms <= 25 : null,
      ...unchecked,
    },
  ];
}

/** The targets, checked against one run's numbers, with the context rows between them. */
export function checkTargets(r: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { intake, workerPipeline, concurrency, endToEnd, counts, retrieval, retrievalAtScale, memory } =
    r.scenarios;
  checks.push(...sweepChecks(r.scenarios.sweep));
  if (intake) {
    checks.push({
      name: 'intake vs reference + guarantees',
      target: '≥ 0.90 × reference req/s',
      measured: `${fmt(intake.oursOverGuaranteed, 2)} × (${fmt(intake.ours.requestsPerSecond, 0)} vs ${fmt(intake.guaranteed.requestsPerSecond, 0)} req/s)`,
      pass: intake.oursOverGuaranteed >= 0.9,
    });
    checks.push(
      context(
        'intake vs minimal reference (the ceiling)',
        `${fmt(intake.oursOverReference, 2)} × (${fmt(intake.reference.requestsPerSecond, 0)} req/s)`,
      ),
    );
    checks.push({
      name: `intake p99 at ${intake.connections} connections`,
      target: '≤ 15 ms',
      measured: `${fmt(intake.ours.p99Ms)} ms`,
      pass: intake.ours.p99Ms <= 15,
    });
    checks.push({
      name: 'intake errors',
      target: '0 (every answer 202)',
      measured: String(intake.ours.errors),
      pass: intake.ours.errors === 0,
    });
    checks.push(
      intake.oursOverFastapi === null
        ? context(
            'intake vs FastAPI + Celery',
            'skipped',
            'skipped' in intake.fastapi ? intake.fastapi.skipped : undefined,
          )
        : context('intake vs FastAPI + Celery', `${fmt(intake.oursOverFastapi, 1)} ×`),
    );
  }
  if (counts) {
    checks.push({
      name: 'Redis round trips per accepted webhook',
      target: '≤ 2',
      measured: `${fmt(counts.intake.redisRoundTripsPerWebhook, 2)} (${fmt(counts.intake.redisCommandsPerWebhook, 2)} commands)`,
      pass: counts.intake.redisRoundTripsPerWebhook <= 2,
    });
  }
  if (concurrency) {
    const top = findLevel(concurrency.levels, REALISTIC_LLM_MS, 200);
    if (top)
      checks.push({
        name: `concurrency 200, LLM ${REALISTIC_LLM_MS / 1000} s, one worker`,
        target: '≥ 90% of ideal',
        measured: share(top),
        pass: top.shareOfIdeal >= 0.9,
      });
    const one = findLevel(concurrency.levels, REALISTIC_LLM_MS, 100);
    const two = findLevel(concurrency.levels, REALISTIC_LLM_MS, 100, 2);
    if (one && two) {
      const ratio = two.measuredPerSecond / one.measuredPerSecond;
      checks.push({
        name: `two workers × 100 vs one × 100, LLM ${REALISTIC_LLM_MS / 1000} s`,
        target: '≥ 1.8 ×',
        measured: `${fmt(ratio, 2)} × (${fmt(two.measuredPerSecond, 0)} vs ${fmt(one.measuredPerSecond, 0)}/s)`,
        pass: ratio >= 1.8,
      });
    }
    const fast = findLevel(concurrency.levels, FAST_LLM_MS, 200);
    if (fast) checks.push(context(`concurrency 200, LLM ${FAST_LLM_MS} ms`, share(fast)));
  }
  if (counts) {
    checks.push({
      name: 'Postgres round trips per enhancement',
      target: '≤ 5',
      measured: fmt(counts.worker.postgresRoundTripsPerEnhancement, 2),
      pass: counts.worker.postgresRoundTripsPerEnhancement <= 5,
    });
    checks.push(
      context(
        'Redis commands per job (worker)',
        `${fmt(counts.worker.redisCommandsPerJob, 1)} in ${fmt(counts.worker.redisRoundTripsPerJob, 1)} round trips`,
      ),
    );
  }
  if (workerPipeline) {
    checks.push({
      name: 'worker CPU per enhancement',
      target: '≤ 2.0 ms',
      measured: `${fmt(workerPipeline.cpuMsPerEnhancement, 2)} ms (whole machine ${fmt(workerPipeline.machineCpuMsPerEnhancement, 2)} ms)`,
      pass: workerPipeline.cpuMsPerEnhancement <= 2,
    });
    checks.push(
      context(
        `worker pipeline, instant fakes, concurrency ${workerPipeline.concurrency}`,
        `${fmt(workerPipeline.enhancementsPerSecond, 0)}/s`,
      ),
    );
  }
  if (endToEnd) {
    checks.push({
      name: `end-to-end overhead p95 at ${endToEnd.ticketsPerSecond}/s`,
      target: '≤ 50 ms',
      measured: `${fmt(endToEnd.overheadP95Ms)} ms`,
      pass: endToEnd.overheadP95Ms <= 50,
    });
  }
  if (retrieval) {
    const full = retrieval.historyTickets >= RETRIEVAL_ONE_TENANT;
    checks.push({
      name: `retrieval p95, ${thousands(retrieval.historyTickets)} tickets in one tenant`,
      target: `≤ 25 ms at ${thousands(RETRIEVAL_ONE_TENANT)}`,
      measured: `${fmt(retrieval.p95Ms)} ms`,
      pass: full ? retrieval.p95Ms <= 25 : null,
      ...(full
        ? {}
        : { note: `fewer than ${thousands(RETRIEVAL_ONE_TENANT)} tickets in this mode: not checked` }),
    });
  }
  checks.push(...byMeaningChecks(r.scenarios.retrievalByMeaning));
  if (retrievalAtScale) {
    const full =
      retrievalAtScale.historyTickets >= RETRIEVAL_AT_SCALE.tickets &&
      retrievalAtScale.tenants >= RETRIEVAL_AT_SCALE.tenants;
    checks.push({
      name: `retrieval p95, ${thousands(retrievalAtScale.historyTickets)} tickets over ${retrievalAtScale.tenants} tenants`,
      target: `≤ 40 ms at ${thousands(RETRIEVAL_AT_SCALE.tickets)} over ${RETRIEVAL_AT_SCALE.tenants}`,
      measured: `${fmt(retrievalAtScale.p95Ms)} ms`,
      pass: full ? retrievalAtScale.p95Ms <= 40 : null,
      ...(full ? {} : { note: 'fewer tickets in this mode: not checked' }),
    });
  }
  if (memory) {
    for (const [role, limit] of [
      ['api', 200],
      ['worker', 300],
    ] as const) {
      const mb = memory.peakRssMb[role];
      if (mb === undefined) continue;
      checks.push({
        name: `${role} peak RSS`,
        target: `≤ ${limit} MB`,
        measured: `${fmt(mb, 0)} MB`,
        pass: mb <= limit,
      });
    }
  }
  const busy = concurrency && findLevel(concurrency.levels, REALISTIC_LLM_MS, 200);
  if (busy) {
    checks.push({
      name: `worker RSS at concurrency 200, LLM ${REALISTIC_LLM_MS / 1000} s`,
      target: '≤ 300 MB',
      measured: `${fmt(busy.workerPeakRssMb, 0)} MB`,
      pass: busy.workerPeakRssMb <= 300,
    });
  }
  return checks;
}
