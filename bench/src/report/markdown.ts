import type { LoadResult } from '../load.js';
import type { BenchResults } from '../results.js';

const n = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function verdict(pass: boolean | null): string {
  return pass === null ? 'skipped' : pass ? 'pass' : '**MISSED**';
}

/** The targets table alone: printed to the terminal and pasted into the README. */
export function targetsTable(r: BenchResults): string {
  const lines = ['| target | goal | measured | result |', '| --- | --- | --- | --- |'];
  for (const t of r.targets) {
    lines.push(
      `| ${t.name} | ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${verdict(t.pass)} |`,
    );
  }
  for (const f of r.failures)
    lines.push(`| ${f.scenario} | runs | failed: ${f.error.split('\n')[0]} | **MISSED** |`);
  return lines.join('\n');
}

function loadRow(name: string, l: LoadResult): string {
  return `| ${name} | ${n(l.requestsPerSecond, 0)} | ${n(l.p50Ms)} | ${n(l.p99Ms)} | ${l.requests.toLocaleString('en-US')} | ${l.errors} | ${n(l.cpuMicrosPerRequest, 0)} |`;
}

/** bench/results/latest.md: what ran, where, and every number the targets were checked on. */
export function markdownSummary(r: BenchResults): string {
  const { intake, workerPipeline, concurrency, endToEnd, retrieval, memory } = r.scenarios;
  const m = r.machine;
  const out: string[] = [
    `# Benchmark results (${r.mode})`,
    '',
    `Command: \`${r.command}\` · started ${r.startedAt} · took ${n(r.durationSec, 0)} s`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${n(m.memoryGb, 0)} GB, ${m.os}, Node.js ${m.node}. The load generator, Postgres, Redis and the service share these cores.`,
    '',
    '## Targets',
    '',
    targetsTable(r),
    '',
  ];
  if (intake) {
    out.push(
      `## 1. Webhook intake (${intake.connections} connections, ${intake.durationSec} s each)`,
      '',
      '| handler | req/s | p50 ms | p99 ms | requests | errors | server CPU µs/request |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      loadRow('our API (apps/api, LOG_LEVEL=info)', intake.ours),
      loadRow('minimal reference (Fastify + HMAC + queue.add)', intake.reference),
      loadRow('reference + guarantees (rate limit, dedupe, log line, metrics)', intake.guaranteed),
      'skipped' in intake.fastapi
        ? `| FastAPI + Celery | skipped: ${intake.fastapi.skipped} | | | | | |`
        : loadRow('FastAPI + Celery (one uvicorn process)', intake.fastapi),
      '',
      `ours / reference = ${n(intake.oursOverReference, 2)}; ours / FastAPI = ${intake.oursOverFastapi === null ? 'n/a' : n(intake.oursOverFastapi, 1)}`,
      '',
      `What the guarantees alone cost: the reference with them runs at ${n(intake.guaranteed.requestsPerSecond / intake.reference.requestsPerSecond, 2)} × the minimal one; ours / reference + guarantees = ${n(intake.oursOverGuaranteed, 2)} (bench/reference/fastify-reference.ts, "guarantees": true).`,
      '',
    );
  }
  if (workerPipeline) {
    out.push(
      `## 2. Worker pipeline (${workerPipeline.jobs} tickets, one worker, concurrency ${workerPipeline.concurrency}, instant fakes)`,
      '',
      `Enhancements/s: **${n(workerPipeline.enhancementsPerSecond, 0)}**; BullMQ no-op ceiling: ${n(workerPipeline.noopCeilingPerSecond, 0)} jobs/s (${n(workerPipeline.shareOfCeiling * 100, 0)}% of it). Worker CPU per enhancement: ${n(workerPipeline.cpuMsPerEnhancement, 2)} ms (no-op: ${n(workerPipeline.noopCpuMsPerJob, 2)} ms per job); the whole machine's (worker, Postgres, fakes, Redis, kernel): ${n(workerPipeline.machineCpuMsPerEnhancement, 2)} ms.`,
      '',
    );
    if (workerPipeline.stages.length > 0) {
      out.push('| stage | mean ms | p50 ms | p95 ms |', '| --- | --- | --- | --- |');
      for (const s of workerPipeline.stages)
        out.push(`| ${s.stage} | ${n(s.meanMs, 2)} | ${n(s.p50Ms, 2)} | ${n(s.p95Ms, 2)} |`);
      out.push(
        '',
        'Stages come from the `stages` field of the worker\'s "note posted" log lines (time inside the job; waiting for a free slot is not included).',
        '',
      );
    }
  }
  if (concurrency) {
    out.push(
      `## 3. Concurrency under LLM latency (${concurrency.llmLatencyMs} ms, ${concurrency.windowSec} s window)`,
      '',
      '| concurrency | ideal/s | measured/s | share of ideal | mean ms per step |',
      '| --- | --- | --- | --- | --- |',
      ...concurrency.levels.map((l) => {
        const steps = Object.entries(l.stageMeansMs)
          .map(([stage, ms]) => `${stage} ${n(ms, 0)}`)
          .join(', ');
        return `| ${l.concurrency} | ${n(l.idealPerSecond, 0)} | ${n(l.measuredPerSecond, 0)} | ${n(l.shareOfIdeal * 100, 0)}% | ${steps} |`;
      }),
      '',
    );
  }
  if (endToEnd) {
    out.push(
      `## 4. End-to-end overhead (${endToEnd.tickets} tickets at ${endToEnd.ticketsPerSecond}/s, fake LLM ${endToEnd.llmLatencyMs} ms)`,
      '',
      `Webhook sent → note stored, minus the fake LLM's ${endToEnd.llmLatencyMs} ms: p50 **${n(endToEnd.overheadP50Ms)} ms**, p95 **${n(endToEnd.overheadP95Ms)} ms** (raw p95 ${n(endToEnd.rawP95Ms)} ms).`,
      '',
    );
  }
  if (retrieval) {
    out.push(
      `## 5. Retrieval (${retrieval.historyTickets.toLocaleString('en-US')} history tickets, ${retrieval.queries} queries)`,
      '',
      `findSimilarTickets under withTenant as the application role: p50 **${n(retrieval.p50Ms)} ms**, p95 **${n(retrieval.p95Ms)} ms**, p99 ${n(retrieval.p99Ms)} ms (loading took ${n(retrieval.loadSeconds, 0)} s).`,
      '',
    );
  }
  if (memory) {
    out.push(
      '## 6. Memory (peak RSS, VmHWM, during 1–4)',
      '',
      ...Object.entries(memory.peakRssMb).map(([role, mb]) => `- ${role}: ${n(mb, 0)} MB`),
      '',
    );
  }
  if (r.failures.length > 0) {
    out.push('## Failures', '', ...r.failures.map((f) => `- ${f.scenario}: ${f.error}`), '');
  }
  return `${out.join('\n')}\n`;
}
