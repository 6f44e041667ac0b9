import { z } from 'zod';
import { isDevelopmentSecret } from './development-values.js';
import { CaBundleError, readCaBundle } from './extra-ca.js';
import { DEFAULT_LLM_PRICES, modelPricesSchema } from './llm-prices.js';
import {
  effectiveQueuePrefix,
  parseRedisUrl,
  REDIS_MODES,
  type RedisMode,
  RedisUrlError,
} from './redis-url.js';
import { MAX_RETENTION_DAYS, MAX_RETENTION_MONTHS, MIN_ENHANCEMENT_DAYS } from './retention.js';

/**
 * Every environment variable the processes read, parsed once at startup.
 * Nothing else in the codebase reads `process.env`: processes call `loadConfig(process.env, component)`.
 */

export type Component = 'api' | 'worker' | 'migrate' | 'admin';

/** Where the operator CLI takes a tenant's ServiceDesk Plus credentials from (or standard input). */
export type SdpCredentialVariable =
  | 'SDP_TECHNICIAN_KEY'
  | 'SDP_CLIENT_ID'
  | 'SDP_CLIENT_SECRET'
  | 'SDP_REFRESH_TOKEN'
  | 'SDP_ACCOUNTS_URL';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Values people paste from examples. Refused for secrets in production.
const PLACEHOLDERS = new Set([
  'change-me',
  'changeme',
  'change_me',
  'secret',
  'password',
  'example',
  'placeholder',
  'todo',
  'xxx',
]);

export function isPlaceholder(value: string): boolean {
  return value.trim() === '' || PLACEHOLDERS.has(value.trim().toLowerCase());
}

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const url = (protocols: string[]) =>
  z
    .string()
    .min(1, 'is required')
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL (${protocols.join(' or ')})`,
    );

const base64Key = z
  .string()
  .min(1, 'is required')
  .refine(
    (v) => Buffer.from(v, 'base64').length === 32,
    'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  );

const common = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // A PEM bundle of private certificate authorities trusted besides the system's, for every outbound
  // TLS connection (ServiceDesk Plus, Zoho accounts, the LLM, Postgres or Redis over TLS). Read and
  // checked here, so a missing or wrong file stops the process with the other configuration errors
  // (extra-ca.ts says why NODE_EXTRA_CA_CERTS alone is not enough). Empty counts as unset.
  EXTRA_CA_FILE: z
    .string()
    .default('')
    .transform((path, ctx): readonly string[] => {
      if (path === '') return [];
      try {
        return readCaBundle(path);
      } catch (error) {
        if (!(error instanceof CaBundleError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    }),
};

const database = {
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_POOL_MAX: int(10, 1, 200),
};

/** REDIS_URL in the form REDIS_MODE asks for; the message names the problem, never the password. */
function redisUrlProblem(value: string, mode: RedisMode): string | undefined {
  try {
    parseRedisUrl(value, mode);
    return undefined;
  } catch (error) {
    if (error instanceof RedisUrlError) return error.message;
    throw error;
  }
}

const redis = {
  // Checked against REDIS_MODE by redisProblems() once the schema has parsed.
  REDIS_URL: z.string().min(1, 'is required'),
  REDIS_MODE: z.enum(REDIS_MODES as [RedisMode, ...RedisMode[]]).default('single'),
  QUEUE_PREFIX: z
    .string()
    .regex(
      /^(\{[A-Za-z0-9_-]+\}|[A-Za-z0-9_-]+)$/,
      'may hold letters, digits, _ and - only, optionally all in one pair of braces',
    )
    .default('ai-agents'),
};

/** REDIS_URL against REDIS_MODE (one node in single mode, seeds in cluster mode). */
function redisProblems(env: Env): string[] {
  const mode = env.REDIS_MODE ?? 'single';
  // An unknown mode or a missing URL is reported by the schema.
  if (!env.REDIS_URL || !(REDIS_MODES as readonly string[]).includes(mode)) return [];
  const problem = redisUrlProblem(env.REDIS_URL, mode as RedisMode);
  return problem ? [`REDIS_URL: ${problem}`] : [];
}

/**
 * The installation's retention defaults (docs/data-lifecycle.md), applied daily by the worker; a
 * tenant's own setting (`tenant retention`) beats them. 0 keeps for ever: the default of each, so an
 * upgrade removes nothing until an operator decides. Read by the worker (which applies them) and the
 * admin CLI (which shows a tenant's effective policy).
 */
const retention = {
  RETENTION_HISTORY_MONTHS: int(0, 0, MAX_RETENTION_MONTHS),
  // 0, or at least MIN_ENHANCEMENT_DAYS: an enhancement is how the reconcile sweep knows a ticket
  // was handled (packages/shared/src/retention.ts).
  RETENTION_ENHANCEMENT_DAYS: int(0, 0, MAX_RETENTION_DAYS).refine(
    (n) => n === 0 || n >= MIN_ENHANCEMENT_DAYS,
    `must be 0 (keep) or at least ${MIN_ENHANCEMENT_DAYS}`,
  ),
  RETENTION_AUDIT_DAYS: int(0, 0, MAX_RETENTION_DAYS),
  RETENTION_FEEDBACK_COMMENT_DAYS: int(0, 0, MAX_RETENTION_DAYS),
};

const encryption = {
  ENCRYPTION_KEY: base64Key,
  // Older keys, comma-separated, still accepted for decryption while values are re-encrypted.
  ENCRYPTION_KEYS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .refine(
      (keys) => keys.every((k) => Buffer.from(k, 'base64').length === 32),
      'each key must be 32 bytes, base64-encoded',
    ),
};

// Where technicians' browsers reach the API: feedback links in notes point here. The default is for
// development only: production requires an https URL (productionProblems).
const publicBaseUrl = {
  PUBLIC_BASE_URL: url(['http:', 'https:']).default('http://localhost:3000'),
};

const llmPrices = z
  .string()
  .default('{}')
  .transform((raw, ctx) => {
    try {
      const parsed = modelPricesSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return { ...DEFAULT_LLM_PRICES, ...parsed.data };
    } catch {
      // reported below
    }
    ctx.addIssue({
      code: 'custom',
      message: 'must be JSON like {"model": {"input": <USD per 1M tokens>, "output": <USD per 1M tokens>}}',
    });
    return z.NEVER;
  });

// OpenTelemetry is configured by the standard OTEL_* variables, which the SDK reads itself; these are
// the ones that decide whether tracing is on at all, so it stays off (zero overhead) unless an
// exporter is configured.
const telemetry = {
  OTEL_SDK_DISABLED: z.enum(['true', 'false', '']).default('false'),
  OTEL_TRACES_EXPORTER: z.string().default(''),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().default(''),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().default(''),
  OTEL_SERVICE_NAME: z.string().default(''),
};

const shutdown = {
  // Shorter than Kubernetes' default 30 s grace period, so we finish before the SIGKILL.
  SHUTDOWN_TIMEOUT_MS: int(25_000, 1_000, 600_000),
};

const schemas = {
  api: z.object({
    ...common,
    ...database,
    ...redis,
    ...encryption,
    ...shutdown,
    ...telemetry,
    HOST: z.string().default('0.0.0.0'),
    PORT: int(3000, 0, 65_535),
    // Set when a reverse proxy or ingress terminates TLS: true, a hop count, or a comma-separated list of CIDRs.
    TRUST_PROXY: z.string().default('false'),
    WEBHOOK_BODY_LIMIT_BYTES: int(256 * 1024, 1024, 10 * 1024 * 1024),
    WEBHOOK_TOLERANCE_SECONDS: int(300, 30, 3600),
    TENANT_CACHE_TTL_MS: int(10_000, 0, 300_000),
    ...publicBaseUrl,
    // Accepted webhooks per tenant per minute, across all replicas; a tenant row may override it. The
    // default is what the worker's default ServiceDesk Plus budget processes (SDP_RATE_LIMIT_PER_MINUTE
    // 450 calls, three sure ones per job): a tenant that sends more only grows its backlog.
    WEBHOOK_RATE_LIMIT_PER_MINUTE: int(150, 1, 1_000_000),
    // Unfinished jobs (waiting, delayed, active) a tenant may have in the queue; past it, its webhooks
    // get 429 until the workers catch up. About 7 minutes of the default SDP budget; at ~2 KB per job
    // in Redis, 2 MB per tenant.
    TENANT_BACKLOG_LIMIT: int(1_000, 1, 1_000_000),
    // Feedback page views and votes per client address per minute, across replicas: a technician
    // clicks a few; a script replaying a link is stopped.
    FEEDBACK_RATE_LIMIT_PER_MINUTE: int(20, 1, 100_000),
  }),
  worker: z.object({
    ...common,
    ...database,
    ...redis,
    ...encryption,
    ...shutdown,
    ...telemetry,
    // Small HTTP server for /health, /ready and /metrics (Kubernetes probes, Prometheus); 0 = off.
    WORKER_HTTP_HOST: z.string().default('0.0.0.0'),
    WORKER_HTTP_PORT: int(9464, 0, 65_535),
    WORKER_CONCURRENCY: int(20, 1, 1000),
    OPENAI_API_KEY: z
      .string()
      .min(1, 'is required (any value when OPENAI_BASE_URL points at a server without keys)'),
    // Empty counts as unset: compose files pass `${OPENAI_BASE_URL:-}` through.
    OPENAI_BASE_URL: z.preprocess((v) => (v === '' ? undefined : v), url(['http:', 'https:']).optional()),
    LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
    LLM_TIMEOUT_MS: int(30_000, 1_000, 300_000),
    LLM_MAX_RETRIES: int(2, 0, 10),
    SDP_TIMEOUT_MS: int(15_000, 1_000, 120_000),
    SIMILAR_TICKETS_LIMIT: int(5, 1, 20),
    // Each context source (similar tickets, knowledge base, assets) gets this long; a slower one is
    // named unavailable in the note instead of holding the job.
    CONTEXT_SOURCE_TIMEOUT_MS: int(5_000, 100, 60_000),
    KB_CACHE_TTL_MS: int(10 * 60_000, 0, 24 * 3600_000),
    ...publicBaseUrl,
    // Past a tenant's soft budget limit; a tenant may name its own.
    LLM_BUDGET_MODEL: z.string().min(1).default('gpt-4.1-nano'),
    // Merged over the built-in table (packages/shared/src/llm-prices.ts).
    LLM_PRICES: llmPrices,
    // Tokens of ticket and context sent per note (estimated as characters / 4).
    LLM_PROMPT_TOKEN_BUDGET: int(3_000, 500, 100_000),
    // What finds similar tickets by meaning besides shared words (docs/context.md): lsa (per tenant,
    // no outside call), openai (an OpenAI-compatible /v1/embeddings at OPENAI_BASE_URL with
    // OPENAI_API_KEY; multilingual, billed per token), none (BM25 only). Read here for the API
    // embedder (packages/retrieval/src/); createRetrieval() does not choose by it yet (issue 26).
    EMBEDDER: z.enum(['lsa', 'openai', 'none']).default('lsa'),
    // EMBEDDER=openai: the model (a tenant may name its own); its price comes from LLM_PRICES.
    EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
    // Required for a model OpenAI does not list; shortens text-embedding-3-* vectors (fewer bytes
    // stored and scanned). Empty counts as unset.
    EMBEDDING_DIMENSIONS: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.coerce.number().int().min(1).max(4_096).optional(),
    ),
    // Per request: a ticket's query is one short text (~100 ms at OpenAI); a batch of history a few
    // seconds. A slower answer is a failure, and retrieval falls back to shared words.
    EMBEDDING_TIMEOUT_MS: int(10_000, 500, 120_000),
    // Retries of 408/409/429/5xx and connection errors, with the client's backoff (honours retry-after).
    EMBEDDING_MAX_RETRIES: int(2, 0, 10),
    // Texts per request when history is embedded: 128 tickets of ~1,000 characters is ~32,000 tokens,
    // far under the API's 300,000 per request, and a failed request loses little work. At most 2048.
    EMBEDDING_BATCH_SIZE: int(128, 1, 2_048),
    // How long a tenant's ServiceDesk Plus categories and priorities are reused.
    TAXONOMY_CACHE_TTL_MS: int(15 * 60_000, 0, 24 * 60 * 60_000),
    // A killed worker's jobs are recovered once their lock lapses; lower means faster recovery but
    // more lock renewals (every half of it).
    WORKER_LOCK_DURATION_MS: int(30_000, 1_000, 600_000),
    // ServiceDesk Plus calls per tenant per minute across all workers, so one client's ticket burst
    // cannot use up its SDP API quota (technicians and integrations share it). 450: the default 150
    // webhooks a minute times the three calls every ticket job makes (request, knowledge base, note);
    // the rarer extras (taxonomy every 15 minutes, a Zoho token an hour) fit in the bucket's slack.
    SDP_RATE_LIMIT_PER_MINUTE: int(450, 1, 100_000),
    // Fair share (apps/worker/src/fair-share/): the jobs one tenant may run at once, across all
    // workers, while another tenant's job waits. 4 of the default 2 × 20 slots: five tenants flooding at
    // once still leave half the slots to everyone else's first events, and a flooding tenant still has
    // 4 notes in progress (~50 a minute at 5 s a note, more than its default SDP budget pays for).
    TENANT_SHARE_SLOTS: int(4, 1, 1000),
    // LLM calls one tenant may have in flight across all workers, whether others wait or not: the
    // installation's LLM rate limit (tokens per minute) is shared by every tenant. 8 is a fifth of the
    // default 2 × 20 slots: a tenant alone with a burst still gets ~8 notes at a time (about 100 a
    // minute with a 5 s LLM), and cannot take the whole LLM quota from the others.
    TENANT_LLM_IN_FLIGHT: int(8, 1, 1000),
    // Per-tenant circuit breaker: after this many consecutive jobs ended by a timeout, connection
    // failure or 5xx of the tenant's portal, its jobs are delayed (holding no slot) for the cool-down,
    // then one job probes. 5: a single slow ticket or a deploy's restart (one or two failures) never
    // opens it; five in a row is a portal that is down.
    BREAKER_FAILURES: int(5, 1, 1000),
    // 30 s: long enough that a down portal costs one probe (one SDP_TIMEOUT_MS) per half minute
    // instead of a slot per job; short enough that a portal back up is used again within half a minute.
    BREAKER_COOLDOWN_MS: int(30_000, 1_000, 3_600_000),
    // How often every active tenant's portal is swept for requests no webhook brought (the
    // reconcile sweep, docs/reliability.md); 0 turns the sweep off. Two minutes costs an idle tenant
    // one list call per 120 s (0.3% of the default SDP budget) and bounds how late a ticket whose
    // webhook was lost, or a poll-mode tenant's ticket, gets its note. At most an hour: longer breaks
    // the promise of a note "within one interval" in any useful sense.
    RECONCILE_INTERVAL_SECONDS: int(120, 0, 3_600),
    // How often the retention job runs (apps/worker/src/retention/scheduler.ts); 0 removes its
    // scheduler. A day: the settings count days and months, so a row overstays by a day at most.
    RETENTION_INTERVAL_HOURS: int(24, 0, 168),
    ...retention,
    ALERT_STORM_DEDUPE: z.enum(['true', 'false']).default('true'),
    ALERT_STORM_WINDOW_SECONDS: int(900, 10, 86_400),
    // Longer descriptions are cut before the LLM sees them; the note says so. At most 4,000: the
    // prompt builder (generate-note.ts) cuts there too, and the note must not claim more was read.
    TICKET_DESCRIPTION_LIMIT: int(4_000, 200, 4_000),
  }),
  admin: z.object({
    ...common,
    ...database,
    ...encryption,
    REDIS_URL: redis.REDIS_URL.optional(),
    REDIS_MODE: redis.REDIS_MODE,
    QUEUE_PREFIX: redis.QUEUE_PREFIX,
    // Where ServiceDesk Plus reaches the API; printed in webhook URLs and the Deluge snippet.
    ...publicBaseUrl,
    SDP_TIMEOUT_MS: int(15_000, 1_000, 120_000),
    // The SDP backfill's pace: on-prem portals share their capacity with technicians at work.
    SDP_BACKFILL_REQUESTS_PER_SECOND: int(5, 1, 100),
    ...retention,
    // A tenant's ServiceDesk Plus credentials for `tenant add` and `tenant set-credentials`: from the
    // environment (or standard input), never from flags, which show in `ps` and shell history.
    SDP_TECHNICIAN_KEY: z.string().optional(),
    SDP_CLIENT_ID: z.string().optional(),
    SDP_CLIENT_SECRET: z.string().optional(),
    SDP_REFRESH_TOKEN: z.string().optional(),
    SDP_ACCOUNTS_URL: z.string().optional(),
    // The key of a tenant's own LLM endpoint for `tenant llm --endpoint` and `--rotate-key` (or on
    // standard input with --stdin); never a flag. Empty counts as unset.
    TENANT_LLM_API_KEY: z.preprocess((v) => (v === '' ? undefined : v), z.string().max(4_096).optional()),
  }),
  migrate: z.object({
    ...common,
    DATABASE_URL: database.DATABASE_URL,
    APP_DB_ROLE: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier')
      .default('ai_agents_app'),
    // Optional outside production: with trust/peer authentication the role needs no password.
    APP_DB_PASSWORD: z.string().optional(),
  }),
} as const;

type Env = Record<string, string | undefined>;
type Parsed<C extends Component> = z.infer<(typeof schemas)[C]>;

export interface ApiConfig extends Readonly<ReturnType<typeof apiConfig>> {}
export interface WorkerConfig extends Readonly<ReturnType<typeof workerConfig>> {}
export interface MigrateConfig extends Readonly<ReturnType<typeof migrateConfig>> {}

export interface AdminConfig extends Readonly<ReturnType<typeof adminConfig>> {}

type ConfigFor<C extends Component> = C extends 'api'
  ? ApiConfig
  : C extends 'worker'
    ? WorkerConfig
    : C extends 'admin'
      ? AdminConfig
      : MigrateConfig;

function commonConfig(e: Parsed<Component>) {
  return {
    nodeEnv: e.NODE_ENV,
    isProduction: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    // EXTRA_CA_FILE's certificates (PEM); the entry point trusts them (trustExtraCertificateAuthorities).
    extraCaCertificates: e.EXTRA_CA_FILE,
  };
}

function serviceConfig(e: Parsed<'api'> | Parsed<'worker'>) {
  return {
    ...commonConfig(e),
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    redisUrl: e.REDIS_URL,
    redisMode: e.REDIS_MODE,
    // The prefix as the keys use it: a hash tag in cluster mode (see effectiveQueuePrefix).
    queuePrefix: effectiveQueuePrefix(e.QUEUE_PREFIX, e.REDIS_MODE),
    encryptionKey: e.ENCRYPTION_KEY,
    encryptionKeys: e.ENCRYPTION_KEYS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    telemetry: telemetryConfig(e),
  };
}

/** Tracing is on only when an exporter is named or an OTLP endpoint is given, and not disabled. */
function telemetryConfig(e: Parsed<'api'> | Parsed<'worker'>) {
  const exporters = e.OTEL_TRACES_EXPORTER.split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const configured =
    exporters.some((v) => v !== 'none') ||
    (exporters.length === 0 &&
      (e.OTEL_EXPORTER_OTLP_ENDPOINT !== '' || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== ''));
  return {
    enabled: e.OTEL_SDK_DISABLED !== 'true' && configured,
    serviceName: e.OTEL_SERVICE_NAME,
  };
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

function apiConfig(e: Parsed<'api'>) {
  return {
    ...serviceConfig(e),
    host: e.HOST,
    port: e.PORT,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    webhookBodyLimitBytes: e.WEBHOOK_BODY_LIMIT_BYTES,
    webhookToleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS,
    tenantCacheTtlMs: e.TENANT_CACHE_TTL_MS,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    webhookRateLimitPerMinute: e.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    tenantBacklogLimit: e.TENANT_BACKLOG_LIMIT,
    feedbackRateLimitPerMinute: e.FEEDBACK_RATE_LIMIT_PER_MINUTE,
  };
}

function workerConfig(e: Parsed<'worker'>) {
  return {
    ...serviceConfig(e),
    concurrency: e.WORKER_CONCURRENCY,
    httpHost: e.WORKER_HTTP_HOST,
    httpPort: e.WORKER_HTTP_PORT,
    llm: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.LLM_MODEL,
      timeoutMs: e.LLM_TIMEOUT_MS,
      maxRetries: e.LLM_MAX_RETRIES,
      budgetModel: e.LLM_BUDGET_MODEL,
      prices: e.LLM_PRICES,
      promptTokenBudget: e.LLM_PROMPT_TOKEN_BUDGET,
    },
    embeddings: {
      embedder: e.EMBEDDER,
      model: e.EMBEDDING_MODEL,
      dimensions: e.EMBEDDING_DIMENSIONS,
      timeoutMs: e.EMBEDDING_TIMEOUT_MS,
      maxRetries: e.EMBEDDING_MAX_RETRIES,
      batchSize: e.EMBEDDING_BATCH_SIZE,
    },
    taxonomyCacheTtlMs: e.TAXONOMY_CACHE_TTL_MS,
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    sdpTimeoutMs: e.SDP_TIMEOUT_MS,
    similarTicketsLimit: e.SIMILAR_TICKETS_LIMIT,
    lockDurationMs: e.WORKER_LOCK_DURATION_MS,
    sdpRateLimitPerMinute: e.SDP_RATE_LIMIT_PER_MINUTE,
    fairShare: {
      shareSlots: e.TENANT_SHARE_SLOTS,
      llmInFlight: e.TENANT_LLM_IN_FLIGHT,
      breakerFailures: e.BREAKER_FAILURES,
      breakerCooldownMs: e.BREAKER_COOLDOWN_MS,
    },
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    retentionIntervalHours: e.RETENTION_INTERVAL_HOURS,
    retention: retentionConfig(e),
    alertStorm: {
      enabled: e.ALERT_STORM_DEDUPE === 'true',
      windowSeconds: e.ALERT_STORM_WINDOW_SECONDS,
    },
    descriptionLimit: e.TICKET_DESCRIPTION_LIMIT,
    contextSourceTimeoutMs: e.CONTEXT_SOURCE_TIMEOUT_MS,
    kbCacheTtlMs: e.KB_CACHE_TTL_MS,
  };
}

/** The installation's retention defaults (0: keep for ever), in the shape of a tenant's policy. */
function retentionConfig(e: Parsed<'worker'> | Parsed<'admin'>) {
  return {
    historyMonths: e.RETENTION_HISTORY_MONTHS,
    enhancementDays: e.RETENTION_ENHANCEMENT_DAYS,
    auditDays: e.RETENTION_AUDIT_DAYS,
    feedbackCommentDays: e.RETENTION_FEEDBACK_COMMENT_DAYS,
  };
}

function adminConfig(e: Parsed<'admin'>) {
  return {
    ...commonConfig(e),
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    encryptionKey: e.ENCRYPTION_KEY,
    encryptionKeys: e.ENCRYPTION_KEYS,
    redisUrl: e.REDIS_URL,
    redisMode: e.REDIS_MODE,
    queuePrefix: effectiveQueuePrefix(e.QUEUE_PREFIX, e.REDIS_MODE),
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    sdpTimeoutMs: e.SDP_TIMEOUT_MS,
    backfillRequestsPerSecond: e.SDP_BACKFILL_REQUESTS_PER_SECOND,
    retention: retentionConfig(e),
    sdpCredentialEnv: {
      SDP_TECHNICIAN_KEY: e.SDP_TECHNICIAN_KEY,
      SDP_CLIENT_ID: e.SDP_CLIENT_ID,
      SDP_CLIENT_SECRET: e.SDP_CLIENT_SECRET,
      SDP_REFRESH_TOKEN: e.SDP_REFRESH_TOKEN,
      SDP_ACCOUNTS_URL: e.SDP_ACCOUNTS_URL,
    } as Partial<Record<SdpCredentialVariable, string>>,
    tenantLlmApiKey: e.TENANT_LLM_API_KEY,
  };
}

function migrateConfig(e: Parsed<'migrate'>) {
  return {
    ...commonConfig(e),
    databaseUrl: e.DATABASE_URL,
    appDbRole: e.APP_DB_ROLE,
    appDbPassword: e.APP_DB_PASSWORD,
  };
}

const builders: { [K in Component]: (e: Parsed<K>) => ConfigFor<K> } = {
  api: apiConfig,
  worker: workerConfig,
  admin: adminConfig,
  migrate: migrateConfig,
};

/** Secrets that must not be placeholders in production, per component. */
const SECRET_VARIABLES: Record<Component, string[]> = {
  api: ['ENCRYPTION_KEY'],
  worker: ['ENCRYPTION_KEY', 'OPENAI_API_KEY'],
  admin: ['ENCRYPTION_KEY'],
  migrate: ['APP_DB_PASSWORD'],
};

/** Components that print or embed PUBLIC_BASE_URL (webhook URLs, feedback links). */
const PUBLIC_URL_COMPONENTS: readonly Component[] = ['api', 'worker', 'admin'];

/** Why an encryption key is unfit for production, or null. */
function weakKeyProblem(key: string): string | null {
  if (isPlaceholder(key)) return 'is a placeholder';
  if (isDevelopmentSecret(key)) return 'is the public development key of docker-compose.yml';
  // A key of repeated bytes (all zeros, "AAAA…") is a placeholder that passes the length check; 32
  // random bytes have about 30 distinct values, so fewer than 16 is never a generated key.
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length === 32 && new Set(bytes).size < 16)
    return 'looks like a placeholder (repeated bytes); use openssl rand -base64 32';
  return null;
}

function productionProblems(component: Component, env: Env): string[] {
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES[component]) {
    const value = env[name];
    if (value === undefined || isPlaceholder(value)) {
      problems.push(
        `${name}: must be set to a real secret in production (got ${value === undefined ? 'nothing' : 'a placeholder'})`,
      );
    } else if (name !== 'ENCRYPTION_KEY' && isDevelopmentSecret(value)) {
      problems.push(`${name}: is a public development value of docker-compose.yml`);
    }
  }
  if (SECRET_VARIABLES[component].includes('ENCRYPTION_KEY')) {
    const key = env.ENCRYPTION_KEY;
    const problem = key && !isPlaceholder(key) ? weakKeyProblem(key) : null;
    if (problem) problems.push(`ENCRYPTION_KEY: ${problem}`);
    // An old key still decrypts what it encrypted, so a weak one is as bad as a weak current key.
    const old = (env.ENCRYPTION_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    old.forEach((k, i) => {
      const weak = weakKeyProblem(k);
      if (weak) problems.push(`ENCRYPTION_KEYS: key ${i + 1} ${weak}`);
    });
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL']) {
    const value = env[name];
    if (!value) continue;
    try {
      const password =
        name === 'REDIS_URL'
          ? (parseRedisUrl(value, 'cluster').password ?? '')
          : decodeURIComponent(new URL(value).password);
      if (password && isPlaceholder(password)) problems.push(`${name}: the password is a placeholder`);
      else if (password && isDevelopmentSecret(password))
        problems.push(`${name}: the password is a public development value of docker-compose.yml`);
    } catch {
      // Reported by the schema already.
    }
  }
  if (PUBLIC_URL_COMPONENTS.includes(component)) {
    const problem = publicUrlProblem(env.PUBLIC_BASE_URL);
    if (problem) problems.push(`PUBLIC_BASE_URL: ${problem}`);
  }
  return problems;
}

/**
 * Feedback links in every note and the webhook URLs the CLI prints are built from PUBLIC_BASE_URL:
 * the development default (http://localhost:3000) would send every technician's click to their own
 * machine, and plain http would carry the feedback token in clear.
 */
function publicUrlProblem(value: string | undefined): string | null {
  if (!value)
    return 'is required in production (the https URL ServiceDesk Plus and browsers reach the API at)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null; // reported by the schema
  }
  if (url.protocol !== 'https:') return `must be https in production (got ${url.protocol}//…)`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1')
    return 'must be the public address, not this machine';
  return null;
}

/**
 * Parses and validates the environment for one component. Throws a ConfigError naming every
 * missing, malformed or (in production) insecure variable at once, so one restart fixes them all.
 */
export function loadConfig<C extends Component>(env: Env, component: C): ConfigFor<C> {
  const result = schemas[component].safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(environment)');
        const message =
          env[name] === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message;
        return `${name}: ${message}`;
      });
  // Also when other variables failed, so one restart fixes them all.
  if (component !== 'migrate') problems.push(...redisProblems(env));
  if ((env.NODE_ENV ?? '') === 'production') problems.push(...productionProblems(component, env));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);

  // Each component's builder takes exactly its own schema's output; TypeScript cannot follow the pairing.
  const build = builders[component] as unknown as (e: unknown) => ConfigFor<C>;
  return deepFreeze(build(result.data));
}

/**
 * loadConfig for a process's entry point: a bad environment is printed, every problem at once under
 * the component's name, and the process exits 1 before anything starts; other errors propagate.
 */
export function loadConfigOrExit<C extends Component>(env: Env, component: C): ConfigFor<C> {
  try {
    return loadConfig(env, component);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${component}: ${error.message}`);
    process.exit(1);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
