import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Outcome of one webhook delivery. A rejection's reason is one of a closed set of code-defined values
 * (unknown_tenant, disabled_tenant, the signature and token failures of authenticateDelivery,
 * malformed_json, invalid_payload, queue_unavailable), never text taken from the request.
 */
export type WebhookOutcome =
  | { outcome: 'accepted' | 'duplicate' }
  // A connection's webhook for an account no tenant is mapped to: answered 202 and dropped.
  | { outcome: 'unmapped_account' }
  | { outcome: 'rejected'; reason: string };

// Job states reported as queue depth; each is one cheap Redis call (LLEN/ZCARD) per scrape. (BullMQ 6
// has no separate paused list: a paused queue's jobs stay in waiting.)
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

/** Queue depth and backlog age, read from Redis when Prometheus scrapes. */
function registerQueueGauges(registry: Registry, queue: Queue): void {
  // Computed when Prometheus scrapes, not per request: the webhook hot path pays nothing for it.
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in the enhancement queue by state (failed = the dead-letter set)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'queue_oldest_waiting_job_age_seconds',
    help: 'Age of the oldest job waiting to be picked up (0 when none wait): the backlog in time',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
      this.set({ queue: queue.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
    },
  });
}

/**
 * The API's Prometheus metrics, one registry per app so tests can build several apps in one process.
 * Every label value comes from a closed set or from the database (a tenant slug that exists), never
 * from the request, so the number of series stays bounded however the API is called.
 */
export function createApiMetrics(queue?: Queue) {
  const registry = new Registry();
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    // Intake is meant to answer in milliseconds; the upper buckets show Redis or Postgres trouble.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const feedback = new Counter({
    name: 'feedback_total',
    help: 'Technician feedback recorded on notes: helpful "true" or "false", source link (the note\'s link) or signed (API)',
    labelNames: ['helpful', 'source'] as const,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'webhooks_total',
    help: 'Webhook deliveries by tenant slug ("unknown" when the slug matches no tenant), outcome and rejection reason',
    labelNames: ['tenant', 'outcome', 'reason'] as const,
    registers: [registry],
  });

  if (queue) registerQueueGauges(registry, queue);

  // prom-client hashes a label object on every inc/observe; the bound children are looked up once per
  // label combination and reused (the combinations are bounded, see above), so a request allocates
  // no label objects.
  const requestSeries = new Map<
    string,
    { count: ReturnType<typeof httpRequests.labels>; duration: ReturnType<typeof httpDuration.labels> }
  >();
  const webhookSeries = new Map<string, ReturnType<typeof webhooks.labels>>();

  return {
    registry,
    observeRequest(method: string, route: string, status: number, seconds: number) {
      const key = `${method} ${status} ${route}`;
      let series = requestSeries.get(key);
      if (!series) {
        const labels = { method, route, status: String(status) };
        series = { count: httpRequests.labels(labels), duration: httpDuration.labels(labels) };
        requestSeries.set(key, series);
      }
      series.count.inc();
      series.duration.observe(seconds);
    },
    observeFeedback(helpful: boolean, source: 'link' | 'signed') {
      feedback.inc({ helpful: String(helpful), source });
    },
    /** `tenant` must be the slug of an existing tenant; anything else is counted as "unknown". */
    observeWebhook(tenant: string | null, result: WebhookOutcome) {
      const reason = result.outcome === 'rejected' ? result.reason : '';
      const key = `${result.outcome} ${reason} ${tenant ?? ''}`;
      let series = webhookSeries.get(key);
      if (!series) {
        series = webhooks.labels({ tenant: tenant ?? 'unknown', outcome: result.outcome, reason });
        webhookSeries.set(key, series);
      }
      series.inc();
    },
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
