import { readdirSync } from 'node:fs';
import { setTenantRules } from '@ai-agents/db';
import { freePort, waitFor } from '@ai-agents/sandbox';
import { parseTicketRules } from '@ai-agents/shared';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../kit/stack.js';
import { readManifests } from './kustomize.js';
import { readRepoFile, repoPath } from './repo.js';

/**
 * The Grafana dashboards and the PrometheusRule: every PromQL expression parses with the Prometheus
 * project's own grammar (@prometheus-io/lezer-promql, what the Prometheus UI uses), and names only
 * metrics and labels that the running API and worker export, scraped from their /metrics after
 * real traffic (so labelled series exist), plus the target labels Prometheus itself adds.
 */

interface Panel {
  title?: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

const DASHBOARD_DIR = repoPath('deploy/grafana/dashboards');
const dashboardFiles = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'));
const dashboards = dashboardFiles.map(
  (f) => [f, JSON.parse(readRepoFile(`deploy/grafana/dashboards/${f}`)) as Dashboard] as const,
);

interface Expression {
  where: string;
  expr: string;
}

function panelExpressions(file: string, panels: Panel[]): Expression[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).map((t) => ({ where: `${file} / ${p.title}`, expr: t.expr })),
    ...panelExpressions(file, p.panels ?? []),
  ]);
}

const dashboardExpressions = dashboards.flatMap(([file, d]) => panelExpressions(file, d.panels));
const rule = readManifests(repoPath('deploy/k8s/base/prometheusrule.yaml'))[0] as unknown as {
  spec: { groups: { rules: { alert: string; expr: string }[] }[] };
};
const ruleExpressions: Expression[] = rule.spec.groups
  .flatMap((g) => g.rules)
  .map((r) => ({ where: `PrometheusRule ${r.alert}`, expr: r.expr }));

/**
 * Grafana replaces its variables before Prometheus sees a query: the interval variables become
 * durations; $tenant only ever appears inside a label matcher's string, where it is PromQL already.
 */
function asPromql(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '6h')
    .replaceAll('$__interval', '15s');
}

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

interface Names {
  metrics: Set<string>;
  /** Labels in selectors, with the metric they select (empty for none). */
  selectorLabels: { metric: string; label: string }[];
  /** Labels in by/without/on/ignoring clauses. */
  groupingLabels: Set<string>;
  errors: string[];
}

function namesIn(expr: string): Names {
  const text = asPromql(expr);
  const tree = parser.parse(text);
  const names: Names = { metrics: new Set(), selectorLabels: [], groupingLabels: new Set(), errors: [] };
  const slice = (n: SyntaxNode) => text.slice(n.from, n.to);
  tree.iterate({
    enter(ref) {
      const node = ref.node;
      if (node.type.isError)
        names.errors.push(`syntax error at ${node.from}: "${text.slice(node.from, node.from + 20)}"`);
      if (node.name === 'VectorSelector') {
        const id = node.getChild('Identifier');
        const metric = id ? slice(id) : '';
        if (metric) names.metrics.add(metric);
        const matchers = node.getChild('LabelMatchers');
        for (const name of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
          const label = name.getChild('LabelName');
          if (label) names.selectorLabels.push({ metric, label: slice(label) });
        }
      }
      if (node.name === 'GroupingLabels') {
        for (const label of node.getChildren('LabelName')) names.groupingLabels.add(slice(label));
      }
    },
  });
  return names;
}

describe('every PromQL expression parses', () => {
  it('finds the expressions: both dashboards, every panel, and the alert rules', () => {
    expect(dashboardFiles.sort()).toEqual(['ai-agents-cost-feedback.json', 'ai-agents-operations.json']);
    const panels = dashboards.flatMap(([, d]) => d.panels.filter((p) => p.type !== 'row'));
    expect(panels.every((p) => (p.targets ?? []).length > 0)).toBe(true);
    expect(dashboardExpressions.length).toBeGreaterThan(25);
    expect(ruleExpressions.length).toBeGreaterThanOrEqual(7);
  });

  it.each([...dashboardExpressions, ...ruleExpressions])('$where', ({ expr }) => {
    expect(namesIn(expr).errors).toEqual([]);
  });

  it('the parser check catches a broken expression', () => {
    expect(namesIn('sum(rate(webhooks_total[5m])').errors.length).toBeGreaterThan(0);
    expect(namesIn('sum by (tenant (webhooks_total)').errors.length).toBeGreaterThan(0);
    expect(namesIn('histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))').errors).toEqual([]);
  });
});

describe('dashboards cover what an operator opens first', () => {
  const all = (file: string) =>
    panelExpressions(file, dashboards.find(([f]) => f === file)?.[1].panels ?? [])
      .map((e) => e.expr)
      .join('\n');

  it('intake, queue, enhancements and ServiceDesk Plus on the operations dashboard', () => {
    const text = all('ai-agents-operations.json');
    for (const needle of [
      'webhooks_total',
      'outcome="rejected"',
      'histogram_quantile(0.99',
      'state=~"waiting|prioritized|active|delayed"',
      'state="failed"',
      'queue_oldest_waiting_job_age_seconds',
      'outcome="fallback"',
      'enhance_stage_duration_seconds_bucket',
      'sdp_requests_total',
    ])
      expect(text).toContain(needle);
  });

  it('tokens, spend per tenant and model, budget state and the helpful rate on the cost dashboard', () => {
    const text = all('ai-agents-cost-feedback.json');
    for (const needle of [
      'sum by (tenant, model) (rate(llm_tokens_total',
      'sum by (tenant, model) (rate(llm_cost_usd_total',
      'llm_budget_decisions_total',
      'feedback_total{job="ai-agents-api",helpful="true"}',
    ])
      expect(text).toContain(needle);
  });

  it('uses a data source variable, so one file works in compose and kube-prometheus-stack', () => {
    for (const [, d] of dashboards) {
      expect(d.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
      const sources = JSON.stringify([d.panels, d.templating]).match(/"uid":"[^"]*"/g) ?? [];
      expect(sources.length).toBeGreaterThan(d.panels.length);
      // Grafana's variable syntax, not a JavaScript template.
      expect(sources.every((s) => s === `"uid":"\${datasource}"`)).toBe(true);
    }
  });

  it('ships the same dashboards to Kubernetes as a ConfigMap labelled grafana_dashboard', () => {
    const [configMap] = readManifests(repoPath('deploy/k8s/base/grafana-dashboards.yaml')) as unknown as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    }[];
    expect(configMap?.metadata.labels.grafana_dashboard).toBe('1');
    // Regenerate with: node scripts/grafana-configmap.mjs
    expect(Object.keys(configMap?.data ?? {}).sort()).toEqual(dashboardFiles.sort());
    for (const [file, dashboard] of dashboards)
      expect(JSON.parse(configMap?.data[file] ?? '{}')).toEqual(dashboard);
    expect(readRepoFile('deploy/k8s/base/kustomization.yaml')).toContain('- grafana-dashboards.yaml');
  });
});

// Labels Prometheus attaches to every scraped series (static configs and the Prometheus Operator's
// ServiceMonitor relabelling), plus histogram buckets' `le`.
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint']);
// Series Prometheus makes itself for each target.
const SYNTHETIC_METRICS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** Metric name → the label names its samples carry, from Prometheus text exposition. */
function exported(scrape: string): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  for (const line of scrape.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!name) continue;
      const names = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) if (!metrics.has(n)) metrics.set(n, new Set());
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (!sample?.[1]) continue;
    const labels = metrics.get(sample[1]) ?? new Set<string>();
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) if (m[1]) labels.add(m[1]);
    metrics.set(sample[1], labels);
  }
  return metrics;
}

describe('every metric and label they name is exported by a running API and worker', () => {
  let stack: Stack;
  let scraped: Map<string, Set<string>>;

  beforeAll(async () => {
    stack = await startStack();
    await stack.startApi();
    const workerPort = await freePort();
    await stack.spawnWorker({
      WORKER_HTTP_PORT: String(workerPort),
      WORKER_HTTP_HOST: '127.0.0.1',
      // A ticket no webhook brings, found by the sweep: reconcile_missed_tickets_total gets its series.
      RECONCILE_INTERVAL_SECONDS: '1',
    });
    stack.sdp.addRequest({ subject: 'Scanner on floor one is offline' });
    // A ticket the tenant's rules skip: tickets_skipped_total gets its series.
    await setTenantRules(
      { db: stack.database.db, tenantId: stack.tenantId },
      parseTicketRules({ skip: [{ field: 'request_type.name', is: 'Service Request' }] }),
      'test',
    );
    stack.sdp.addRequest({ subject: 'A new monitor, please', request_type: { name: 'Service Request' } });
    // Traffic that makes every labelled series appear: accepted, duplicate and rejected webhooks, a
    // note (ServiceDesk Plus calls, LLM tokens and cost, a budget decision), feedback from its link.
    const { request, res } = await stack.ticket('Printer on floor two prints blank pages', 'evt-dash-1');
    expect(res.status).toBe(202);
    await stack.post({ event: 'request.created', event_id: 'evt-dash-1', request: { id: request.id } });
    await stack.post('{not json');
    // The sweep (every second here) may queue this ticket before its webhook arrives: then the webhook
    // is the same job (one per request), and the note's row carries the sweep's event id.
    const row = await waitFor(
      async () => (await stack.rows()).find((r) => r.sdpRequestId === request.id && r.status === 'posted'),
      30_000,
      'the ticket posted',
    );
    expect(row.status).toBe('posted');
    const note = stack.sdp.notes(request.id)[0]?.description ?? '';
    const token = decodeURIComponent(/token=([^"&<\s]+)/.exec(note)?.[1] ?? '');
    const feedback = await fetch(`${stack.apiUrl}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, helpful: true }),
    });
    expect(feedback.status).toBe(201);

    const api = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    const worker = await waitFor(async () => {
      const text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
      return text.includes('llm_cost_usd_total{') &&
        text.includes('reconcile_missed_tickets_total{') &&
        text.includes('tickets_skipped_total{')
        ? text
        : undefined;
    }, 15_000);
    scraped = new Map([...exported(api), ...exported(worker)]);
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('the scrape holds the series the dashboards are about', () => {
    for (const name of [
      'webhooks_total',
      'queue_jobs',
      'enhance_jobs_total',
      'llm_cost_usd_total',
      'feedback_total',
    ])
      expect(scraped.get(name)?.size, name).toBeGreaterThan(0);
  });

  it.each([...dashboardExpressions, ...ruleExpressions])('$where', ({ expr }) => {
    const names = namesIn(expr);
    const unknownMetrics = [...names.metrics].filter((m) => !scraped.has(m) && !SYNTHETIC_METRICS.has(m));
    expect(unknownMetrics).toEqual([]);
    const allowed = (metric: string, label: string) =>
      TARGET_LABELS.has(label) ||
      (label === 'le' && metric.endsWith('_bucket')) ||
      (scraped.get(metric)?.has(label) ?? false);
    const unknownSelectorLabels = names.selectorLabels
      .filter(({ metric, label }) => !allowed(metric, label))
      .map(({ metric, label }) => `${metric}{${label}}`);
    expect(unknownSelectorLabels).toEqual([]);
    const unknownGrouping = [...names.groupingLabels].filter(
      (label) => ![...names.metrics].some((metric) => allowed(metric, label)),
    );
    expect(unknownGrouping).toEqual([]);
  });

  it('the template variables read labels that exist', () => {
    for (const [, d] of dashboards) {
      for (const v of d.templating.list.filter((t) => t.type === 'query')) {
        const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
        const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(query) ?? [];
        expect(scraped.get(metric ?? '')?.has(label ?? ''), query).toBe(true);
      }
    }
  });
});
