import type { Readable } from 'node:stream';
import { createDatabase, type Database, findTenantBySlug, type TenantSummary } from '@ai-agents/db';
import type { TenantClientDeps } from '@ai-agents/servicedesk';
import {
  type AdminConfig,
  createSecretBox,
  loadConfig,
  type SecretBox,
  trustExtraCertificateAuthorities,
} from '@ai-agents/shared';
import type { Command } from 'commander';
import { terminalJson, terminalText } from './terminal-text.js';

/** What commands read besides their arguments: standard input (for secrets, see credential-input.ts). */
export interface AdminIo {
  stdin: Readable;
}

/** A failure the operator caused or can fix: printed as one line, exit code 1 (2 is for usage errors). */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminContext {
  config: AdminConfig;
  database: Database;
  box: SecretBox;
  actor: string;
  json: boolean;
  /** Prints a result: the JSON object with --json, the human text otherwise. */
  print(human: string, json: unknown): void;
}

/**
 * Opens what a command needs (config, database) only when a command runs, so `--help` works with an
 * empty environment; closes it afterwards.
 */
export async function withContext<T>(command: Command, fn: (ctx: AdminContext) => Promise<T>): Promise<T> {
  const options = command.optsWithGlobals<{ json?: boolean; actor?: string }>();
  const config = loadConfig(process.env, 'admin');
  // `tenant check` and `tenant add` reach an on-premises portal behind a private CA (EXTRA_CA_FILE).
  trustExtraCertificateAuthorities(config.extraCaCertificates);
  const database = createDatabase({ url: config.databaseUrl, max: 2, applicationName: 'ai-agents-admin' });
  const json = Boolean(options.json);
  try {
    return await fn({
      config,
      database,
      box: createSecretBox(config.encryptionKey, config.encryptionKeys),
      actor: options.actor ?? process.env.USER ?? process.env.USERNAME ?? 'operator',
      json,
      // Outside text (comments, ids, errors) never writes control sequences to the terminal.
      print: (human, value) => process.stdout.write(`${json ? terminalJson(value) : terminalText(human)}\n`),
    });
  } finally {
    await database.close();
  }
}

/**
 * With REDIS_URL set, commands that call ServiceDesk Plus share the installation's Cloud access
 * tokens and learned note wrappers with the workers (Zoho limits token requests per refresh token);
 * without it they mint their own. The connection is closed when `fn` ends.
 */
export async function withSharedServiceDesk<T>(
  ctx: AdminContext,
  fn: (shared: TenantClientDeps['shared']) => Promise<T>,
): Promise<T> {
  if (!ctx.config.redisUrl) return fn(undefined);
  const { createRedisClient } = await import('@ai-agents/shared/redis');
  const redis = createRedisClient(
    { redisUrl: ctx.config.redisUrl, redisMode: ctx.config.redisMode },
    {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => (attempt > 3 ? null : 500),
    },
  );
  redis.on('error', () => {
    // Reported by the failing command itself.
  });
  try {
    return await fn({ redis, keyPrefix: ctx.config.queuePrefix });
  } finally {
    await redis.quit().catch(() => {});
  }
}

/** The tenant named on the command line, or the error every command gives for an unknown slug. */
export async function tenantBySlug(ctx: AdminContext, slug: string): Promise<TenantSummary> {
  const tenant = await findTenantBySlug(ctx.database.db, slug);
  if (!tenant) throw new AdminError(`no tenant with slug "${slug}" (see: tenant list)`);
  return tenant;
}
