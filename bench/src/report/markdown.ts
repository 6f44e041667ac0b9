import type { LoadResult } from '../load.js';
import type { BenchResults } from '../results.js';
import type { SweepResult } from '../scenarios/sweep.js';

const n = (v: number | undefined, digits = 1) =>
  v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function verdict(t: { pass: boolean | null; context?: boolean }): string {
  if (t.context) return 'context';
  return t.pass === null ? 'not checked' : t.pass ? 'pass' : '**MISSED**';
}

/** The targets table alone: printed to the terminal and pasted into the README. */
export function targetsTable(r: BenchResults): string {
  const lines = ['| target | goal | measured | result |', '| --- | --- | --- | --- |'];
  for (const t of r.targets) {
    lines.push(`| ${t.name} | ${t.target} | ${t.measured}${t.note ? ` (${t.note})` : ''} | ${verdict(t)} |`);
  }
  for (const f of r.failures)
    lines.push(`| ${f.scenario} | runs | failed: ${f.error.split('\n')[0]} | **MISSED** |`);
  return lines.join('\n');
}

function loadRow(name: string, l: LoadResult): string {
  return `| ${name} | ${n(l.requestsPerSecond, 0)} | ${n(l.p50Ms)} | ${n(l.p99Ms)} | ${l.requests.toLocaleString('en-US')} | ${l.errors} | ${n(l.cpuMicrosPerRequest, 0)} |`;
}

function sweepSection(s: SweepResult): string[] {
  return [
    `## 9. Reconcile sweep (${s.tenants.toLocaleString('en-US')} tenants, ${s.busyTenants} with one new ticket, one worker, every ${s.intervalSec} s)`,
    '',
    `SDP calls per idle tenant per interval, counted in the fake portal's call log (all of the idle tenants share one portal): **${n(s.callsPerIdleTenantPerInterval, 3)}** in the second sweep, ${n(s.firstSweepCallsPerIdleTenant, 3)} in the first. Each sweep, from its first list call to its last: ${s.sweepSeconds.map((v) => `${n(v, 1)} s`).join(', ')}; the second began ${n(s.observedIntervalSec, 1)} s after the first. The busy tenants' new tickets (no webhook sent) had their notes ${n(s.newTicketsNotedSec, 1)} s after the first sweep began.`,
    '',
  ];
}

/** bench/results/latest.md: what ran, where, and every number the targets were checked on. */
export function markdownSummary(r: BenchResults): string {
  const { intake, workerPipeline, concurrency, endToEnd, counts, retrieval, retrievalAtScale, memory } =
    r.scenarios;
  const m = r.machine;
  const out: string[] = [
    `# Benchmark results (${r.mode}${r.only ? `, only ${r.only.join(', ')}` : ''})`,
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
      `ours / reference + guarantees = **${n(intake.oursOverGuaranteed, 2)}** (the target: the same work, bench/reference/fastify-reference.ts with "guarantees": true); ours / minimal reference = ${n(intake.oursOverReference, 2)} (the ceiling); ours / FastAPI = ${intake.oursOverFastapi === null ? 'n/a' : n(intake.oursOverFastapi, 1)} (context).`,
      '',
      `What the guarantees alone cost: the reference with them runs at ${n(intake.guaranteed.requestsPerSecond / intake.reference.requestsPerSecond, 2)} × the minimal one.`,
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
      '## 3. Concurrency under LLM latency',
      '',
      'Each worker drains a backlog while every job waits the given time on the fake LLM; ideal is slots ÷ latency. The first job of each slot arrives spread over one LLM latency, then the backlog; the window starts once it is queued.',
      '',
      '| LLM latency | workers × concurrency | window s | ideal/s | measured/s | share of ideal | worker peak RSS MB | mean ms per step |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...concurrency.levels.map((l) => {
        const steps = Object.entries(l.stageMeansMs)
          .map(([stage, ms]) => `${stage} ${n(ms, 0)}`)
          .join(', ');
        return `| ${n(l.llmLatencyMs, 0)} ms | ${l.workers} × ${l.concurrency} | ${l.windowSec} | ${n(l.idealPerSecond, 0)} | ${n(l.measuredPerSecond, 0)} | ${n(l.shareOfIdeal * 100, 0)}% | ${n(l.workerPeakRssMb, 0)} | ${steps} |`;
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
  if (counts) {
    out.push(
      `## 5. Counted on the wire (${counts.webhooks} webhooks, ${counts.jobs} jobs)`,
      '',
      'Counting TCP proxies between the process under test and Postgres or Redis (bench/src/wire-count.ts), in a short run of its own. Postgres: Sync and simple Query messages (one per round trip). Redis: commands, and round trips (a write after a reply came back). Webhooks are sent one at a time, so no two share a trip; the worker drains its jobs at concurrency 20 with instant fakes and alert-storm grouping on, as shipped (each ticket from its own requester, so every job is a full enhancement).',
      '',
      '| per | Postgres round trips | Redis commands | Redis round trips |',
      '| --- | --- | --- | --- |',
      `| accepted webhook (API) | ${n(counts.intake.postgresRoundTripsPerWebhook, 2)} | ${n(counts.intake.redisCommandsPerWebhook, 2)} | ${n(counts.intake.redisRoundTripsPerWebhook, 2)} |`,
      `| enhancement (worker) | ${n(counts.worker.postgresRoundTripsPerEnhancement, 2)} | ${n(counts.worker.redisCommandsPerJob, 2)} | ${n(counts.worker.redisRoundTripsPerJob, 2)} |`,
      '',
    );
  }
  for (const [title, res] of [
    ['6. Retrieval', retrieval],
    ['7. Retrieval at scale', retrievalAtScale],
  ] as const) {
    if (!res) continue;
    out.push(
      `## ${title} (${res.historyTickets.toLocaleString('en-US')} history tickets${res.tenants > 1 ? ` over ${res.tenants} tenants` : ` in one tenant of ${res.databaseTickets.toLocaleString('en-US')} in the database`}, ${res.queries} queries)`,
      '',
      `findSimilarTickets under withTenant as the application role${res.tenants > 1 ? ', each query to a tenant picked at random' : ''}: p50 **${n(res.p50Ms)} ms**, p95 **${n(res.p95Ms)} ms**, p99 ${n(res.p99Ms)} ms (loading all ${res.databaseTickets.toLocaleString('en-US')} took ${n(res.loadSeconds, 0)} s).`,
      '',
    );
  }
  const byMeaning = r.scenarios.retrievalByMeaning;
  if (byMeaning)
    out.push(
      `## 7b. Retrieval by meaning (LSA, ${byMeaning.historyTickets.toLocaleString('en-US')} tickets in one tenant, ${byMeaning.queries} queries)`,
      '',
      `LSA fit in a process of its own: ${n(byMeaning.fitSeconds, 1)} s (target < 10 s; ${n(byMeaning.fitCpuSeconds, 1)} s of CPU, load average ${n(byMeaning.fitLoadAverage, 1)} on ${r.machine.cpus} cores), peak memory ${n(byMeaning.fitPeakMb, 0)} MB above the process before the fit (target < 200 MB; the process's peak ${n(byMeaning.fitProcessPeakMb, 0)} MB); embedding and storing the history ${n(byMeaning.embedSeconds, 1)} s. The worker's search (BM25 + vector scan + fusion): p50 **${n(byMeaning.p50Ms)} ms**, p95 **${n(byMeaning.p95Ms)} ms**, p99 ${n(byMeaning.p99Ms)} ms.`,
      '',
    );
  if (memory) {
    out.push(
      '## 8. Memory (peak RSS, VmHWM, during 1–4)',
      '',
      ...Object.entries(memory.peakRssMb).map(([role, mb]) => `- ${role}: ${n(mb, 0)} MB`),
      '',
    );
  }
  if (r.scenarios.sweep) out.push(...sweepSection(r.scenarios.sweep));
  if (r.failures.length > 0) {
    out.push('## Failures', '', ...r.failures.map((f) => `- ${f.scenario}: ${f.error}`), '');
  }
  return `${out.join('\n')}\n`;
}
