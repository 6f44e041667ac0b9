import { inSpan, type SkipReason } from '@ai-agents/shared';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// history: an ingest-history job added its ticket to the history (or skipped a disabled tenant's).
// reconcile: a reconcile tick fanned out, or a tenant's sweep read its portal (reconcile-*.ts).
// retention: the daily retention job ran (retention-sweep.ts).
// skipped: the tenant's rules skipped the ticket (pipeline/ticket-rules.ts): no note, no LLM call.
export type JobOutcome =
  | 'posted'
  | 'fallback'
  | 'already_posted'
  // MSP: the fetched request belongs to another account than the job's tenant (pipeline/account-check.ts).
  | 'account_mismatch'
  | 'skipped'
  | 'history'
  | 'reconcile'
  | 'retention'
  | 'retry'
  | 'failed';
export type Stage = 'sdp_fetch' | 'context' | 'llm' | 'post_note';

/** `inner`, counting every call in `counter` by its HTTP status, or "error" when no answer arrived. */
function countedFetch(counter: Counter<'status'>, inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      const response = await inner(input, init);
      counter.inc({ status: String(response.status) });
      return response;
    } catch (error) {
      counter.inc({ status: 'error' });
      throw error;
    }
  };
}

/** Each tenant's circuit breaker (fair-share/tenant-breaker.ts), by slug. */
function breakerGauge(registry: Registry) {
  return new Gauge({
    name: 'tenant_circuit_state',
    help: "Each tenant's ServiceDesk Plus circuit breaker as this worker last saw it, by tenant slug: 0 closed, 1 half-open (one job probes), 2 open (its jobs wait out the cool-down)",
    labelNames: ['tenant'] as const,
    registers: [registry],
  });
}

/** ServiceDesk Plus calls by HTTP status. */
function sdpRequestsCounter(registry: Registry) {
  return new Counter({
    name: 'sdp_requests_total',
    help: 'ServiceDesk Plus API calls by HTTP status ("error" when no answer arrived: timeout, refused, reset)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
}

/** Similar-ticket searches that fell back to BM25 alone (packages/retrieval's Bm25OnlyReason). */
function bm25OnlyCounter(registry: Registry) {
  return new Counter({
    name: 'retrieval_bm25_only_total',
    help: 'Similar-ticket searches answered by BM25 alone, by reason (no_model, small_history, embedder_failed, embedder_timeout)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
}

/** Which vector search the worker chose at start-up (1 on its label): `scan` or `pgvector`. */
function vectorSearchGauge(registry: Registry) {
  return new Gauge({
    name: 'retrieval_vector_search_info',
    help: 'The search of similar tickets by meaning this worker uses: in-worker scan or pgvector (HNSW in Postgres), chosen at start-up',
    labelNames: ['path'] as const,
    registers: [registry],
  });
}

/** Background embeds of a tenant's history through the embeddings API that failed (EMBEDDER=openai). */
function backgroundEmbedFailuresCounter(registry: Registry) {
  return new Counter({
    name: 'retrieval_background_embed_failures_total',
    help: 'Background embeds of a tenant history through the embeddings API that failed (retried after 5 minutes; BM25 alone meanwhile)',
    registers: [registry],
  });
}

/** The reconcile sweep's counter: a rising count on a tenant that sends webhooks means its trigger is broken. */
function reconcileMetrics(registry: Registry) {
  const missed = new Counter({
    name: 'reconcile_missed_tickets_total',
    help: 'Tickets the reconcile sweep found and queued that no webhook had delivered, by tenant slug',
    labelNames: ['tenant'] as const,
    registers: [registry],
  });
  return {
    observeReconcileMissed(tenant: string, tickets: number) {
      missed.inc({ tenant }, tickets);
    },
  };
}

/**
 * Tickets the tenant's rules skipped (pipeline/ticket-rules.ts), by tenant slug and reason: skip_rule
 * or opted_out (SkipReason, a closed set). Which rule is in the audit log, not in a label.
 */
function skippedMetrics(registry: Registry) {
  const skipped = new Counter({
    name: 'tickets_skipped_total',
    help: "Tickets that got no note because of the tenant's rules, by tenant slug and reason (skip_rule, opted_out)",
    labelNames: ['tenant', 'reason'] as const,
    registers: [registry],
  });
  return {
    observeSkipped(tenant: string, reason: SkipReason) {
      skipped.inc({ tenant, reason });
    },
  };
}

/** LLM tokens, estimated spend and budget decisions, by tenant slug and model. */
function llmMetrics(registry: Registry) {
  const llmTokens = new Counter({
    name: 'llm_tokens_total',
    help: 'LLM tokens used, by tenant slug, requested model and type (prompt or completion)',
    labelNames: ['tenant', 'model', 'type'] as const,
    registers: [registry],
  });
  const llmCost = new Counter({
    name: 'llm_cost_usd_total',
    help: 'Estimated LLM spend in US dollars (LLM_PRICES), by tenant slug and requested model',
    labelNames: ['tenant', 'model'] as const,
    registers: [registry],
  });
  const llmBudget = new Counter({
    name: 'llm_budget_decisions_total',
    help: 'Monthly token budget decisions per job by tenant slug: ok, soft (cheaper model), hard (no LLM call)',
    labelNames: ['tenant', 'state'] as const,
    registers: [registry],
  });
  return {
    observeTokens(tenant: string, model: string, prompt: number | null, completion: number | null) {
      if (prompt) llmTokens.inc({ tenant, model, type: 'prompt' }, prompt);
      if (completion) llmTokens.inc({ tenant, model, type: 'completion' }, completion);
    },
    observeCost(tenant: string, model: string, usd: number | null) {
      // Counted also when 0, so a tenant on a free model still has a series.
      if (usd !== null && Number.isFinite(usd) && usd >= 0) llmCost.inc({ tenant, model }, usd);
    },
    observeBudget(tenant: string, state: 'ok' | 'soft' | 'hard') {
      llmBudget.inc({ tenant, state });
    },
  };
}

/**
 * Rows the daily retention job removed, by table (RETENTION_TABLES: a closed set; no tenant label, so
 * the series count does not grow with tenants). `feedback_comments` counts comments cleared.
 */
function retentionMetrics(registry: Registry) {
  const removed = new Counter({
    name: 'retention_rows_removed_total',
    help: 'Rows the retention job removed past their age, by table (feedback_comments: comments cleared, votes kept)',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  return {
    observeRetentionRemoved(table: string, rows: number) {
      removed.inc({ table }, rows);
    },
  };
}

/**
 * The worker's Prometheus metrics, one registry per worker. Labels come from closed sets, the
 * configured model names and the slugs of existing tenants (read from the database, never from a
 * payload), so the series count stays bounded.
 */
export function createWorkerMetrics() {
  const registry = new Registry();
  const jobs = new Counter({
    name: 'enhance_jobs_total',
    help: "Job attempts by outcome (posted, fallback = context-only note, already_posted, history = a resolved ticket ingested, reconcile = a sweep tick or tenant sweep, retention = the daily retention job, skipped = the tenant's rules skipped the ticket, retry, failed = given up)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'enhance_job_duration_seconds',
    help: 'Duration of enhancement job attempts by outcome',
    labelNames: ['outcome'] as const,
    // Dominated by the LLM: seconds to a minute, longer with retries.
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [registry],
  });
  const stageDuration = new Histogram({
    name: 'enhance_stage_duration_seconds',
    help: 'Duration of each pipeline stage: sdp_fetch, context (similar tickets), llm, post_note',
    labelNames: ['stage'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const sdpRequests = sdpRequestsCounter(registry);
  const breaker = breakerGauge(registry);

  return {
    registry,
    observeBreaker(tenant: string, state: 'closed' | 'half_open' | 'open') {
      breaker.set({ tenant }, state === 'open' ? 2 : state === 'half_open' ? 1 : 0);
    },
    observeJob(outcome: JobOutcome, seconds: number) {
      jobs.inc({ outcome });
      jobDuration.observe({ outcome }, seconds);
    },
    observeStage(stage: Stage, seconds: number) {
      stageDuration.observe({ stage }, seconds);
    },
    ...llmMetrics(registry),
    ...reconcileMetrics(registry),
    ...retentionMetrics(registry),
    ...skippedMetrics(registry),
    bm25Only: bm25OnlyCounter(registry),
    vectorSearch: vectorSearchGauge(registry),
    backgroundEmbedFailures: backgroundEmbedFailuresCounter(registry),
    /** A fetch for the ServiceDesk Plus client that counts every call by its status. */
    countingFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
      return countedFetch(sdpRequests, inner);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** Runs one pipeline stage in its own span and records its duration (also when it fails). */
export function timeStage<T>(
  metrics: WorkerMetrics | undefined,
  stage: Stage,
  fn: () => Promise<T>,
): Promise<T> {
  return inSpan(stage, async () => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      metrics?.observeStage(stage, (performance.now() - started) / 1000);
    }
  });
}

/**
 * Milliseconds per step, on the "note posted" line: where a slow enhancement spent its time
 * (`npm run bench` reads them too). The metric stages also get a histogram and a span.
 */
export interface StageClock {
  stages: Record<string, number>;
  timed<T>(name: string, fn: () => Promise<T>): Promise<T>;
  stage<T>(name: Stage, fn: () => Promise<T>): Promise<T>;
}

export function stageClock(metrics: WorkerMetrics | undefined): StageClock {
  const stages: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      stages[name] = Math.round((performance.now() - t) * 10) / 10;
    }
  };
  return {
    stages,
    timed,
    stage: (name, fn) => timed(name, () => timeStage(metrics, name, fn)),
  };
}
