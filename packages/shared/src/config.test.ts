import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

// 32 distinct bytes: a key that passes the production checks.
const key = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
const worker = {
  DATABASE_URL: 'postgres://app:pw@db:5432/ai',
  REDIS_URL: 'redis://redis:6379',
  ENCRYPTION_KEY: key,
  OPENAI_API_KEY: 'sk-test',
};

const PUBLIC_BASE_URL = 'https://agents.msp.example';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it("reads a tenant's own LLM key for the admin CLI only from TENANT_LLM_API_KEY; empty is unset", () => {
    const admin = { DATABASE_URL: worker.DATABASE_URL, ENCRYPTION_KEY: key };
    expect(loadConfig(admin, 'admin').tenantLlmApiKey).toBeUndefined();
    expect(loadConfig({ ...admin, TENANT_LLM_API_KEY: '' }, 'admin').tenantLlmApiKey).toBeUndefined();
    expect(loadConfig({ ...admin, TENANT_LLM_API_KEY: 'sk-own' }, 'admin').tenantLlmApiKey).toBe('sk-own');
    const tooLong = problems(() => loadConfig({ ...admin, TENANT_LLM_API_KEY: 'k'.repeat(5_000) }, 'admin'));
    expect(tooLong).toEqual([expect.stringMatching(/^TENANT_LLM_API_KEY: /)]);
    expect(tooLong.join()).not.toContain('kkkk');
  });

  it('names every missing variable at once', () => {
    expect(problems(() => loadConfig({}, 'worker'))).toEqual(
      expect.arrayContaining([
        'DATABASE_URL: is required',
        'REDIS_URL: is required',
        'ENCRYPTION_KEY: is required',
        expect.stringMatching(/^OPENAI_API_KEY: is required/),
      ]),
    );
  });

  it('accepts by default no more webhooks per tenant than the default ServiceDesk Plus budget processes', () => {
    const api = loadConfig({ ...worker }, 'api');
    const { sdpRateLimitPerMinute } = loadConfig({ ...worker }, 'worker');
    // Each enhancement job makes at least three ServiceDesk Plus calls (request, knowledge base, note).
    expect(api.webhookRateLimitPerMinute * 3).toBeLessThanOrEqual(sdpRateLimitPerMinute);
    expect(api.tenantBacklogLimit).toBe(1_000);
  });

  it('sweeps every 120 s by default, 0 turns the sweep off, and refuses an interval past an hour', () => {
    expect(loadConfig({ ...worker }, 'worker').reconcileIntervalSeconds).toBe(120);
    expect(
      loadConfig({ ...worker, RECONCILE_INTERVAL_SECONDS: '0' }, 'worker').reconcileIntervalSeconds,
    ).toBe(0);
    expect(() => loadConfig({ ...worker, RECONCILE_INTERVAL_SECONDS: '7200' }, 'worker')).toThrow(
      /RECONCILE_INTERVAL_SECONDS/,
    );
  });

  it('keeps everything for ever by default, and refuses enhancement retention below the floor', () => {
    expect(loadConfig({ ...worker }, 'worker').retention).toEqual({
      historyMonths: 0,
      enhancementDays: 0,
      auditDays: 0,
      feedbackCommentDays: 0,
    });
    const set = {
      RETENTION_HISTORY_MONTHS: '24',
      RETENTION_ENHANCEMENT_DAYS: '400',
      RETENTION_AUDIT_DAYS: '365',
    };
    expect(loadConfig({ ...worker, ...set }, 'worker').retention).toMatchObject({
      historyMonths: 24,
      enhancementDays: 400,
      auditDays: 365,
    });
    expect(() => loadConfig({ ...worker, RETENTION_ENHANCEMENT_DAYS: '3' }, 'worker')).toThrow(
      /RETENTION_ENHANCEMENT_DAYS.*at least 7/,
    );
    expect(() => loadConfig({ ...worker, RETENTION_AUDIT_DAYS: '-1' }, 'worker')).toThrow(
      /RETENTION_AUDIT_DAYS/,
    );
  });

  it('applies defaults and returns a frozen, typed object', () => {
    const config = loadConfig({ ...worker }, 'worker');
    expect(config.concurrency).toBe(20);
    expect(config.llm.model).toBe('gpt-4o-mini');
    expect(config.queuePrefix).toBe('ai-agents');
    expect(Object.isFrozen(config) && Object.isFrozen(config.llm)).toBe(true);
  });

  it('gives the embedder its defaults and names a bad value', () => {
    expect(loadConfig({ ...worker }, 'worker').embeddings).toEqual({
      embedder: 'lsa',
      model: 'text-embedding-3-small',
      dimensions: undefined,
      timeoutMs: 10_000,
      maxRetries: 2,
      batchSize: 128,
    });
    const openai = { ...worker, EMBEDDER: 'openai', EMBEDDING_MODEL: 'bge-m3', EMBEDDING_DIMENSIONS: '1024' };
    expect(loadConfig(openai, 'worker').embeddings).toMatchObject({ embedder: 'openai', dimensions: 1024 });
    const found = problems(() =>
      loadConfig({ ...worker, EMBEDDER: 'bert', EMBEDDING_BATCH_SIZE: '5000' }, 'worker'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^EMBEDDER:/),
        expect.stringMatching(/^EMBEDDING_BATCH_SIZE:/),
      ]),
    );
  });

  it('gives fair share its defaults and names a bad value', () => {
    expect(loadConfig({ ...worker }, 'worker').fairShare).toEqual({
      shareSlots: 4,
      llmInFlight: 8,
      breakerFailures: 5,
      breakerCooldownMs: 30_000,
    });
    const found = problems(() =>
      loadConfig({ ...worker, TENANT_SHARE_SLOTS: '0', BREAKER_COOLDOWN_MS: 'soon' }, 'worker'),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^TENANT_SHARE_SLOTS:/),
        expect.stringMatching(/^BREAKER_COOLDOWN_MS:/),
      ]),
    );
  });

  it('rejects malformed values with the reason', () => {
    const found = problems(() =>
      loadConfig(
        { ...worker, DATABASE_URL: 'mysql://x', ENCRYPTION_KEY: 'c2hvcnQ=', WORKER_CONCURRENCY: 'lots' },
        'worker',
      ),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DATABASE_URL: must be a URL/),
        expect.stringMatching(/^ENCRYPTION_KEY: must be 32 bytes/),
        expect.stringMatching(/^WORKER_CONCURRENCY:/),
      ]),
    );
  });

  it('refuses placeholder secrets in production only', () => {
    const env = { ...worker, OPENAI_API_KEY: 'change-me', DATABASE_URL: 'postgres://app:changeme@db/ai' };
    expect(problems(() => loadConfig(env, 'worker'))).toEqual([]);
    expect(problems(() => loadConfig({ ...env, NODE_ENV: 'production', PUBLIC_BASE_URL }, 'worker'))).toEqual(
      [
        'OPENAI_API_KEY: must be set to a real secret in production (got a placeholder)',
        'DATABASE_URL: the password is a placeholder',
      ],
    );
  });

  it('refuses a missing, short or fake ENCRYPTION_KEY in production for every component that decrypts', () => {
    const production = { ...worker, NODE_ENV: 'production', PUBLIC_BASE_URL };
    for (const component of ['api', 'worker', 'admin'] as const) {
      expect(
        problems(() => loadConfig(production, component)),
        component,
      ).toEqual([]);
      expect(problems(() => loadConfig({ ...production, ENCRYPTION_KEY: undefined }, component))).toEqual(
        expect.arrayContaining(['ENCRYPTION_KEY: is required']),
      );
      expect(problems(() => loadConfig({ ...production, ENCRYPTION_KEY: 'c2VjcmV0' }, component))).toEqual([
        'ENCRYPTION_KEY: must be 32 bytes, base64-encoded (openssl rand -base64 32)',
      ]);
      for (const placeholder of ['change-me', 'secret', 'password', '']) {
        expect(
          problems(() => loadConfig({ ...production, ENCRYPTION_KEY: placeholder }, component)),
        ).toContain(`ENCRYPTION_KEY: must be set to a real secret in production (got a placeholder)`);
      }
      const repeated = Buffer.alloc(32, 7).toString('base64');
      expect(problems(() => loadConfig({ ...production, ENCRYPTION_KEY: repeated }, component))).toEqual([
        'ENCRYPTION_KEY: looks like a placeholder (repeated bytes); use openssl rand -base64 32',
      ]);
    }
    // Outside production the same fake key is accepted.
    const repeated = Buffer.alloc(32, 7).toString('base64');
    expect(problems(() => loadConfig({ ...worker, ENCRYPTION_KEY: repeated }, 'worker'))).toEqual([]);
  });

  it('requires an https PUBLIC_BASE_URL in production, where the development default would point notes at localhost', () => {
    const production = { ...worker, NODE_ENV: 'production' };
    for (const component of ['api', 'worker', 'admin'] as const) {
      expect(problems(() => loadConfig(production, component))).toEqual([
        'PUBLIC_BASE_URL: is required in production (the https URL ServiceDesk Plus and browsers reach the API at)',
      ]);
      expect(
        problems(() =>
          loadConfig({ ...production, PUBLIC_BASE_URL: 'http://agents.msp.example' }, component),
        ),
      ).toEqual(['PUBLIC_BASE_URL: must be https in production (got http://…)']);
      for (const local of ['https://localhost:3000', 'https://127.0.0.1', 'https://[::1]:3000'])
        expect(problems(() => loadConfig({ ...production, PUBLIC_BASE_URL: local }, component))).toEqual([
          'PUBLIC_BASE_URL: must be the public address, not this machine',
        ]);
      expect(
        loadConfig({ ...production, PUBLIC_BASE_URL: `${PUBLIC_BASE_URL}/` }, component).publicBaseUrl,
      ).toBe(PUBLIC_BASE_URL);
    }
    expect(loadConfig({ ...worker }, 'api').publicBaseUrl).toBe('http://localhost:3000');
  });

  it("refuses docker-compose.yml's public development secrets in production", () => {
    const devKey = 'ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=';
    const production = { ...worker, NODE_ENV: 'production', PUBLIC_BASE_URL };
    expect(problems(() => loadConfig({ ...production, ENCRYPTION_KEY: devKey }, 'api'))).toEqual([
      'ENCRYPTION_KEY: is the public development key of docker-compose.yml',
    ]);
    // The same bytes spelled without padding are the same key.
    expect(
      problems(() => loadConfig({ ...production, ENCRYPTION_KEY: devKey.replace(/=+$/, '') }, 'worker')),
    ).toEqual(['ENCRYPTION_KEY: is the public development key of docker-compose.yml']);
    const devDatabase = 'postgres://ai_agents_app:dev-app-password@postgres:5432/ai_agents';
    expect(problems(() => loadConfig({ ...production, DATABASE_URL: devDatabase }, 'api'))).toEqual([
      'DATABASE_URL: the password is a public development value of docker-compose.yml',
    ]);
    expect(
      problems(() =>
        loadConfig(
          {
            NODE_ENV: 'production',
            DATABASE_URL: 'postgres://postgres:dev-postgres-password@postgres:5432/ai_agents',
            APP_DB_PASSWORD: 'dev-app-password',
          },
          'migrate',
        ),
      ),
    ).toEqual([
      'APP_DB_PASSWORD: is a public development value of docker-compose.yml',
      'DATABASE_URL: the password is a public development value of docker-compose.yml',
    ]);
    // Development keeps working with them.
    expect(
      problems(() => loadConfig({ ...worker, ENCRYPTION_KEY: devKey, DATABASE_URL: devDatabase }, 'api')),
    ).toEqual([]);
  });

  it('refuses weak old keys in ENCRYPTION_KEYS in production: they still decrypt', () => {
    const production = { ...worker, NODE_ENV: 'production', PUBLIC_BASE_URL };
    const zeros = Buffer.alloc(32).toString('base64');
    const good = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 53 + 7) % 256)).toString('base64');
    expect(
      problems(() =>
        loadConfig(
          { ...production, ENCRYPTION_KEYS: `${good},${zeros},ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=` },
          'worker',
        ),
      ),
    ).toEqual([
      'ENCRYPTION_KEYS: key 2 looks like a placeholder (repeated bytes); use openssl rand -base64 32',
      'ENCRYPTION_KEYS: key 3 is the public development key of docker-compose.yml',
    ]);
    expect(problems(() => loadConfig({ ...production, ENCRYPTION_KEYS: good }, 'worker'))).toEqual([]);
  });

  it('requires the application role password for migrations in production', () => {
    expect(
      problems(() => loadConfig({ DATABASE_URL: 'postgres://o@db/ai', NODE_ENV: 'production' }, 'migrate')),
    ).toEqual(['APP_DB_PASSWORD: must be set to a real secret in production (got nothing)']);
  });

  it('parses TRUST_PROXY as a flag, hop count or address list', () => {
    const api = { ...worker };
    expect(loadConfig({ ...api, TRUST_PROXY: 'true' }, 'api').trustProxy).toBe(true);
    expect(loadConfig({ ...api, TRUST_PROXY: '1' }, 'api').trustProxy).toBe(1);
    expect(loadConfig({ ...api, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }, 'api').trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });
});

describe('loadConfig: LLM cost settings', () => {
  it('merges LLM_PRICES over the built-in price table', () => {
    const config = loadConfig({ ...worker, LLM_PRICES: '{"local-llama":{"input":0,"output":0}}' }, 'worker');
    expect(config.llm.prices['local-llama']).toEqual({ input: 0, output: 0 });
    expect(config.llm.prices['gpt-4o-mini']).toEqual({ input: 0.15, output: 0.6 });
    expect(config.llm.budgetModel).toBe('gpt-4.1-nano');
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
  });

  it('names LLM_PRICES when it is not a price table', () => {
    expect(
      problems(() => loadConfig({ ...worker, LLM_PRICES: '{"m":{"input":"cheap"}}' }, 'worker')),
    ).toEqual([expect.stringMatching(/^LLM_PRICES: must be JSON like/)]);
    expect(problems(() => loadConfig({ ...worker, LLM_PRICES: 'nope' }, 'worker'))).toEqual([
      expect.stringMatching(/^LLM_PRICES: must be JSON like/),
    ]);
  });
});
