import type { BenchResults } from '../results.js';

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run (skipped), which neither passes nor fails. */
  pass: boolean | null;
  note?: string;
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** The targets, checked against one run's numbers. */
export function checkTargets(r: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { intake, workerPipeline, concurrency, endToEnd, retrieval, memory } = r.scenarios;
  if (intake) {
    checks.push({
      name: 'intake vs minimal reference',
      target: '≥ 0.80 × reference req/s',
      measured: `${fmt(intake.oursOverReference, 2)} × (${fmt(intake.ours.requestsPerSecond, 0)} vs ${fmt(intake.reference.requestsPerSecond, 0)} req/s)`,
      pass: intake.oursOverReference >= 0.8,
    });
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
        ? {
            name: 'intake vs FastAPI + Celery',
            target: '≥ 8 × FastAPI req/s',
            measured: 'skipped',
            pass: null,
            note: 'skipped' in intake.fastapi ? intake.fastapi.skipped : undefined,
          }
        : {
            name: 'intake vs FastAPI + Celery',
            target: '≥ 8 × FastAPI req/s',
            measured: `${fmt(intake.oursOverFastapi, 1)} ×`,
            pass: intake.oursOverFastapi >= 8,
          },
    );
  }
  if (workerPipeline) {
    checks.push({
      name: 'worker pipeline, instant fakes',
      target: '≥ 300 enhancements/s',
      measured: `${fmt(workerPipeline.enhancementsPerSecond, 0)}/s`,
      pass: workerPipeline.enhancementsPerSecond >= 300,
    });
  }
  if (concurrency) {
    const top = concurrency.levels.find((l) => l.concurrency === 200);
    if (top) {
      checks.push({
        name: `concurrency 200, LLM ${concurrency.llmLatencyMs} ms`,
        target: '≥ 90% of ideal',
        measured: `${fmt(top.shareOfIdeal * 100, 0)}% (${fmt(top.measuredPerSecond, 0)} of ${fmt(top.idealPerSecond, 0)}/s)`,
        pass: top.shareOfIdeal >= 0.9,
      });
    }
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
    const full = retrieval.historyTickets >= 50_000;
    checks.push({
      name: `retrieval p95 at ${retrieval.historyTickets.toLocaleString('en-US')} tickets`,
      target: '≤ 25 ms at 50,000',
      measured: `${fmt(retrieval.p95Ms)} ms`,
      pass: full ? retrieval.p95Ms <= 25 : null,
      note: full ? undefined : 'fewer than 50,000 tickets in this mode: reported, not checked',
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
  return checks;
}
