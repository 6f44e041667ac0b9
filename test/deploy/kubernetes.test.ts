import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadConfig } from '@ai-agents/shared';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type K8sObject, readManifests, render } from './kustomize.js';
import { readRepoFile, repoPath } from './repo.js';

/**
 * The Kubernetes manifests, checked offline: every object against the Kubernetes (and KEDA and
 * Prometheus Operator) schemas bundled in the kubernetes-models packages, then the settings the
 * deployment depends on, on the production overlay as kustomize renders it.
 */

// biome-ignore lint/suspicious/noExplicitAny: each model class takes its own typed input.
type ModelClass = new (data: any) => { validate(): void };
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

function validate(object: K8sObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

const BASE = repoPath('deploy/k8s/base');
const OVERLAY = repoPath('deploy/k8s/overlays/production');
const baseFiles = readdirSync(BASE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const rendered = render(OVERLAY);

function find<T = K8sObject>(kind: string, name: string): T {
  const found = rendered.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} is not rendered`);
  return found as T;
}

interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  startupProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  topologySpreadConstraints?: unknown[];
  initContainers?: Container[];
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string; optional?: boolean } }>;
}
interface DeploymentObject extends K8sObject {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: PodSpec } };
}

const deployments = rendered.filter((o) => o.kind === 'Deployment') as DeploymentObject[];
const api = find<DeploymentObject>('Deployment', 'ai-agents-api');
const worker = find<DeploymentObject>('Deployment', 'ai-agents-worker');
const envValue = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name);

describe('deploy/k8s manifests are valid Kubernetes objects', () => {
  it.each(baseFiles)('base/%s validates against its schema', (file) => {
    const objects = readManifests(`${BASE}/${file}`);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) validate(object);
  });

  it('the rendered production overlay validates, object by object', () => {
    expect(rendered.length).toBeGreaterThan(15);
    for (const object of rendered) validate(object);
  });

  it('the schema check catches a wrong field', () => {
    const broken = structuredClone(api) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => validate(broken as unknown as K8sObject)).toThrow(/replicas/);
  });

  it('renders the overlay as kustomize does (compared with `kubectl kustomize` where installed)', (context) => {
    let output: string;
    try {
      output = execFileSync('kubectl', ['kustomize', OVERLAY], { encoding: 'utf8', stdio: 'pipe' });
    } catch {
      context.skip();
      return;
    }
    const byKey = (objects: K8sObject[]) =>
      Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    const theirs = parseAllDocuments(output).map((d) => d.toJS() as K8sObject);
    expect(byKey(rendered)).toEqual(byKey(theirs));
  });
});

describe('production overlay', () => {
  it('puts everything in the ai-agents namespace, which enforces the restricted Pod Security Standard', () => {
    const namespace = find('Namespace', 'ai-agents');
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    for (const object of rendered.filter((o) => o.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe('ai-agents');
    }
  });

  it('pins every image to a release tag', () => {
    for (const deployment of deployments) {
      const spec = deployment.spec.template.spec;
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.image, container.name).toMatch(/^[\w.-]+(\/[\w.-]+)+:\d+\.\d+\.\d+$/);
      }
    }
  });

  it.each(['ai-agents-api', 'ai-agents-worker'])(
    '%s pods run restricted and without an API token',
    (name) => {
      const spec = find<DeploymentObject>('Deployment', name).spec.template.spec;
      expect(spec.automountServiceAccountToken).toBe(false);
      const account = find<K8sObject & { automountServiceAccountToken?: boolean }>(
        'ServiceAccount',
        spec.serviceAccountName,
      );
      expect(account.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.securityContext, container.name).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.resources?.requests, container.name).toMatchObject({ cpu: expect.any(String) });
        expect(container.resources?.limits, container.name).toMatchObject({ memory: expect.any(String) });
      }
      expect(spec.topologySpreadConstraints?.length).toBeGreaterThan(0);
    },
  );

  it('runs 2+ API replicas that migrate first, probe /health and /ready, and drain before stopping', () => {
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
    const spec = api.spec.template.spec;
    const migrate = spec.initContainers?.find((c) => c.name === 'migrate');
    expect(migrate?.image).toMatch(/ai-agents-migrate:/);
    expect(envValue(migrate, 'DATABASE_URL')?.valueFrom?.secretKeyRef?.key).toBe('MIGRATE_DATABASE_URL');
    expect(envValue(migrate, 'APP_DB_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe('APP_DB_PASSWORD');
    const container = spec.containers.find((c) => c.name === 'api');
    expect(envValue(container, 'DATABASE_URL')?.valueFrom?.secretKeyRef?.key).toBe('DATABASE_URL');
    expect(container?.startupProbe?.httpGet?.path).toBe('/health');
    expect(container?.livenessProbe?.httpGet?.path).toBe('/health');
    expect(container?.readinessProbe?.httpGet?.path).toBe('/ready');
    const preStop = container?.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStop).toBeGreaterThan(0);
    const drain = Number(envValue(container, 'SHUTDOWN_TIMEOUT_MS')?.value) / 1000;
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drain);
  });

  it('gives workers a shutdown period longer than the longest job', () => {
    const defaults = loadConfig(
      {
        DATABASE_URL: 'postgres://x@db/x',
        REDIS_URL: 'redis://redis',
        ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
        OPENAI_API_KEY: 'x',
      },
      'worker',
    );
    // SDP fetch and post, plus the LLM re-asked up to maxRetries times, each try retried by the SDK.
    const attempts = defaults.llm.maxRetries + 1;
    const longestJobMs = 2 * defaults.sdpTimeoutMs + attempts * attempts * defaults.llm.timeoutMs;
    const container = worker.spec.template.spec.containers.find((c) => c.name === 'worker');
    const shutdownMs = Number(envValue(container, 'SHUTDOWN_TIMEOUT_MS')?.value);
    expect(shutdownMs).toBeGreaterThanOrEqual(longestJobMs);
    expect((worker.spec.template.spec.terminationGracePeriodSeconds ?? 0) * 1000).toBeGreaterThan(shutdownMs);
    expect(container?.livenessProbe?.httpGet?.path).toBe('/health');
    expect(container?.readinessProbe?.httpGet?.path).toBe('/ready');
  });

  it('protects both deployments with a PodDisruptionBudget', () => {
    for (const deployment of [api, worker]) {
      const pdb = find<K8sObject & { spec: { minAvailable: number; selector: { matchLabels: object } } }>(
        'PodDisruptionBudget',
        deployment.metadata.name,
      );
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    }
  });

  it('autoscales workers on queue depth (KEDA), with a plain HPA documented as the alternative', () => {
    const scaled = find<K8sObject & { spec: Record<string, unknown> }>('ScaledObject', 'ai-agents-worker');
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { name: 'ai-agents-worker' },
      triggers: [{ type: 'prometheus', metadata: { query: expect.stringContaining('queue_jobs') } }],
    });
    expect(readRepoFile('deploy/k8s/base/worker-hpa.example.yaml')).toContain(
      'kind: HorizontalPodAutoscaler',
    );
  });

  it('serves the webhook over TLS from cert-manager, and never /metrics', () => {
    const ingress = find<
      K8sObject & {
        spec: {
          tls: Array<{ hosts: string[]; secretName: string }>;
          rules: Array<{ host: string; http: { paths: Array<{ path: string }> } }>;
        };
      }
    >('Ingress', 'ai-agents-api');
    expect(ingress.metadata.annotations).toMatchObject({
      'cert-manager.io/cluster-issuer': expect.any(String),
    });
    const hosts = ingress.spec.rules.map((r) => r.host);
    expect(ingress.spec.tls.flatMap((t) => t.hosts).sort()).toEqual(hosts.sort());
    expect(hosts).not.toContain('ai-agents.example.com');
    const paths = ingress.spec.rules.flatMap((r) => r.http.paths.map((p) => p.path));
    expect(paths).toContain('/v1/webhooks/');
    expect(paths.some((p) => p.startsWith('/metrics') || p === '/')).toBe(false);
  });

  it('routes the feedback page, on the same host and certificate, through an Ingress that writes no access log', () => {
    type IngressObject = K8sObject & {
      metadata: { annotations?: Record<string, string> };
      spec: {
        tls: Array<{ hosts: string[]; secretName: string }>;
        rules: Array<{ host: string; http: { paths: Array<{ path: string; pathType: string }> } }>;
      };
    };
    const main = find<IngressObject>('Ingress', 'ai-agents-api');
    const feedback = find<IngressObject>('Ingress', 'ai-agents-feedback');
    // ingress-nginx logs "$request" (the URL with ?token=) and "$http_referer" by default.
    expect(feedback.metadata.annotations?.['nginx.ingress.kubernetes.io/enable-access-log']).toBe('false');
    expect(feedback.spec.rules.flatMap((r) => r.http.paths)).toEqual([
      expect.objectContaining({ path: '/v1/feedback', pathType: 'Exact' }),
    ]);
    expect(feedback.spec.rules.map((r) => r.host)).toEqual(main.spec.rules.map((r) => r.host));
    expect(feedback.spec.tls).toEqual(main.spec.tls);
    // One Ingress asks cert-manager for the certificate; two would compete for the same Secret.
    expect(feedback.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
    // The other Ingress keeps its access log: what it routes carries no secret in the URL.
    const paths = main.spec.rules.flatMap((r) => r.http.paths.map((p) => p.path));
    expect(paths).not.toContain('/v1/feedback');
  });

  it("writes neither token into ingress-nginx's access log, by header or by query string", () => {
    // ingress-nginx's default access log format, log_format upstreaminfo (kubernetes.github.io/
    // ingress-nginx/user-guide/nginx-configuration/log-format): the request line with its query
    // string, the Referer, the User-Agent, and no other request header.
    const FORMAT = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`;
    // Where each secret travels: the webhook secret in a header of deliveries to /v1/webhooks/, the
    // feedback token in the URL of GET /v1/feedback and in the Referer of the form's post to it.
    const carriers = [
      { path: '/v1/webhooks/', variables: ['$http_x_webhook_token', '$http_x_webhook_signature'] },
      {
        path: '/v1/feedback',
        variables: ['$request', '$request_uri', '$args', '$arg_token', '$http_referer'],
      },
    ];
    type Annotated = K8sObject & {
      metadata: { annotations?: Record<string, string> };
      data?: Record<string, string>;
      spec?: { rules?: Array<{ http: { paths: Array<{ path: string }> } }> };
    };
    const objects = rendered as Annotated[];
    // Nothing here changes the format or adds an nginx snippet that could log otherwise.
    for (const object of objects) {
      expect(Object.keys(object.data ?? {}).filter((k) => k.startsWith('log-format'))).toEqual([]);
      expect(Object.keys(object.metadata.annotations ?? {}).filter((k) => k.endsWith('-snippet'))).toEqual(
        [],
      );
    }
    const logged = objects
      .filter((o) => o.kind === 'Ingress')
      .filter((o) => o.metadata.annotations?.['nginx.ingress.kubernetes.io/enable-access-log'] !== 'false')
      .flatMap((o) => (o.spec?.rules ?? []).flatMap((r) => r.http.paths.map((p) => p.path)));
    expect(logged).toContain('/v1/webhooks/');
    for (const { path, variables } of carriers) {
      const written = logged.includes(path) ? variables.filter((v) => FORMAT.includes(v)) : [];
      expect(written, path).toEqual([]);
    }
  });

  it('sets PUBLIC_BASE_URL to the https Ingress host, which production config accepts', () => {
    const config = find<K8sObject & { data: Record<string, string> }>('ConfigMap', 'ai-agents');
    const host = find<K8sObject & { spec: { rules: Array<{ host: string }> } }>('Ingress', 'ai-agents-api')
      .spec.rules[0]?.host;
    expect(config.data.PUBLIC_BASE_URL).toBe(`https://${host}`);
    const secrets = {
      DATABASE_URL: 'postgres://ai_agents_app:a1b2c3d4e5f6@db:5432/ai_agents',
      REDIS_URL: 'redis://:a1b2c3d4e5f6@redis:6379',
      ENCRYPTION_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString(
        'base64',
      ),
      OPENAI_API_KEY: 'sk-test',
    };
    for (const component of ['api', 'worker'] as const)
      expect(loadConfig({ ...config.data, ...secrets }, component).publicBaseUrl).toBe(`https://${host}`);
  });

  it('denies all traffic by default and opens only the documented paths', () => {
    const policies = rendered.filter((o) => o.kind === 'NetworkPolicy') as Array<
      K8sObject & { spec: Record<string, unknown> & { egress?: Array<{ ports?: Array<{ port: number }> }> } }
    >;
    const deny = policies.find((p) => p.metadata.name === 'default-deny-all');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const apiIngress = policies.find((p) => p.metadata.name === 'ai-agents-api-ingress');
    expect(JSON.stringify(apiIngress?.spec)).toContain('"kubernetes.io/metadata.name":"ingress-nginx"');
    const egressPorts = policies.flatMap((p) => (p.spec.egress ?? []).flatMap((e) => e.ports ?? []));
    expect([...new Set(egressPorts.map((p) => p.port))].sort((a, b) => a - b)).toEqual([53, 443, 5432, 6379]);
  });

  it('mounts the optional private-CA ConfigMap read-only in every container, where EXTRA_CA_FILE points', () => {
    const settings = find<{ data: Record<string, string> }>('ConfigMap', 'ai-agents').data;
    // Off by default; the documented value lies inside the mount.
    expect(settings.EXTRA_CA_FILE).toBe('');
    const documented = readRepoFile('deploy/k8s/base/configmap.yaml').match(
      /set (\/etc\/\S+\.pem) here/,
    )?.[1];
    expect(documented).toBe('/etc/ai-agents/ca/extra-ca.pem');
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      expect(pod.volumes).toContainEqual({
        name: 'extra-ca',
        configMap: { name: 'ai-agents-extra-ca', optional: true },
      });
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const mount = container.volumeMounts?.find((m) => m.name === 'extra-ca');
        expect(mount, `${deployment.metadata.name}/${container.name}`).toEqual({
          name: 'extra-ca',
          mountPath: '/etc/ai-agents/ca',
          readOnly: true,
        });
        expect(documented?.startsWith(`${mount?.mountPath}/`)).toBe(true);
      }
    }
  });

  it('has a Secret template with every key the pods read, and no values', () => {
    const [template] = readManifests(`${BASE}/secret.template.yaml`) as Array<
      K8sObject & { stringData: Record<string, string> }
    >;
    const used = new Set(
      deployments.flatMap((d) =>
        [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers].flatMap((c) =>
          (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.key] : [])),
        ),
      ),
    );
    expect(Object.keys(template?.stringData ?? {}).sort()).toEqual([...used].sort());
    for (const value of Object.values(template?.stringData ?? {})) expect(value).toBe('');
    // Applying the base must never overwrite the real Secret with the empty template.
    expect(rendered.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('scrapes both services and alerts on the metrics the code exports', () => {
    for (const [name, port] of [
      ['ai-agents-api', 'http'],
      ['ai-agents-worker', 'metrics'],
    ] as const) {
      const monitor = find<K8sObject & { spec: { selector: { matchLabels: object }; endpoints: object[] } }>(
        'ServiceMonitor',
        name,
      );
      const service = find<K8sObject & { spec: { ports: Array<{ name: string }> } }>('Service', name);
      expect(monitor.spec.selector.matchLabels).toEqual(service.metadata.labels);
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port, path: '/metrics' })]);
      expect(service.spec.ports.map((p) => p.name)).toContain(port);
    }
    const rule = find<
      K8sObject & { spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> } }
    >('PrometheusRule', 'ai-agents');
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'AiAgentsApiDown',
        'AiAgentsApi5xxRate',
        'AiAgentsQueueBacklogAge',
        'AiAgentsEnhancementFailureRate',
        'AiAgentsDeadLetterGrowth',
        'AiAgentsWebhookTriggerBroken',
      ]),
    );
    const exported = `${readRepoFile('apps/api/src/metrics.ts')}\n${readRepoFile('apps/worker/src/metrics.ts')}`;
    for (const { alert, expr } of rules) {
      for (const series of expr.match(/\b[a-z_]+(?=\{)/g) ?? []) {
        if (series === 'up') continue;
        // A histogram's series (_bucket, _sum, _count) are exported under the histogram's name.
        const metric = series.replace(/_(bucket|sum|count)$/, '');
        expect(exported, `${alert} uses ${metric}`).toContain(`name: '${metric}'`);
      }
    }
  });
});
