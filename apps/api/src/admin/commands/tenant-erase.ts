import {
  beginErasure,
  countTenantRows,
  type EraseRowsOptions,
  eraseTenantRows,
  findConnectionById,
  findErasure,
  findErasureOf,
  findTenantBySlug,
  finishErasure,
  type TenantScope,
} from '@ai-agents/db';
import { EVENTS_QUEUE } from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import type { Queue } from 'bullmq';
import type { Command } from 'commander';
import { type AdminContext, AdminError } from '../context.js';
import { withQueue } from './jobs.js';

/** What is left of a tenant after its erasure: 0 everywhere, or the erasure is not done. */
export interface ErasureProof {
  rows: Record<string, number>;
  redis: { jobs: number; keys: number };
}

/** What an erasure runs on: the CLI's context, the queue and its Redis connection. */
export interface ErasureDeps {
  ctx: AdminContext;
  queue: Queue;
  redis: RedisClient;
}

interface ErasureResult {
  slug: string;
  tenantId: string;
  rowsDeleted: Record<string, number>;
  redisJobsRemoved: number;
  redisKeysDeleted: number;
  left: ErasureProof;
  complete: boolean;
}

export function registerTenantEraseCommand(tenant: Command): void {
  tenant
    .command('erase <slug>')
    .description('erase a disabled tenant: every row, Redis key and queued job, then prove nothing is left')
    .requiredOption('--confirm <slug>', 'the slug again: erasure cannot be undone')
    .action(async (slug: string, opts: { confirm: string }, command: Command) => {
      if (opts.confirm !== slug)
        throw new AdminError(`--confirm must repeat the slug exactly ("${slug}"); nothing was erased`, 2);
      await withQueue(command, async (ctx, queue, redis) =>
        printResult(ctx, await eraseBySlug({ ctx, queue, redis }, slug)),
      );
    });
}

/**
 * The erasure, in the order that lets a re-run finish what a crash left: the record (refused unless
 * disabled), Redis (no queued job writes rows any more), the rows, Redis again (for what a job that
 * was running when the first pass ran wrote since), and last the tenants row with the record's end.
 */
export async function eraseBySlug(
  on: ErasureDeps,
  slug: string,
  options: EraseRowsOptions = {},
): Promise<ErasureResult> {
  const { ctx, queue, redis } = on;
  const tenant = await findTenantBySlug(ctx.database.db, slug);
  if (!tenant) return alreadyErased(on, slug);
  if (tenant.status !== 'disabled')
    throw new AdminError(
      `tenant "${slug}" is active; disable it first (tenant disable ${slug}), then erase it`,
    );
  const scope: TenantScope = { db: ctx.database.db, tenantId: tenant.id };
  // The tenant's connection goes with it when it serves no other tenant (erasure_finish deletes the
  // row): its token, budget and note shape in Redis too. A shared connection keeps them.
  const connection = await findConnectionById(ctx.database.db, tenant.connectionId);
  const redisScope = {
    prefix: ctx.config.queuePrefix,
    queueName: EVENTS_QUEUE,
    tenantId: tenant.id,
    ...(connection?.tenants === 1 ? { connectionId: connection.id } : {}),
  };
  await beginErasure(scope, ctx.actor);
  const { eraseTenantRedis } = await import('@ai-agents/shared/tenant-redis');
  const first = await eraseTenantRedis(redis, queue, redisScope);
  await eraseTenantRows(scope, options);
  const second = await eraseTenantRedis(redis, queue, redisScope);
  const jobsRemoved = first.jobsRemoved + second.jobsRemoved;
  const keysDeleted = first.keysDeleted + second.keysDeleted;
  if (second.jobsLocked === 0) await finishErasure(scope, jobsRemoved + keysDeleted);
  const left = await proof(on, tenant.id);
  const record = await findErasureOf(ctx.database.db, tenant.id);
  return {
    slug,
    tenantId: tenant.id,
    rowsDeleted: record?.rowsDeleted ?? {},
    redisJobsRemoved: jobsRemoved,
    redisKeysDeleted: keysDeleted,
    left,
    complete: isEmpty(left),
  };
}

/** A slug with no tenant: erased before (its record says so; the proof is counted again), or unknown. */
async function alreadyErased(on: ErasureDeps, slug: string): Promise<ErasureResult> {
  const record = await findErasure(on.ctx.database.db, slug);
  if (!record?.finishedAt) throw new AdminError(`no tenant with slug "${slug}" (see: tenant list)`);
  const left = await proof(on, record.erasedTenantId);
  return {
    slug,
    tenantId: record.erasedTenantId,
    rowsDeleted: record.rowsDeleted,
    redisJobsRemoved: 0,
    redisKeysDeleted: 0,
    left,
    complete: isEmpty(left),
  };
}

async function proof({ ctx, queue, redis }: ErasureDeps, tenantId: string): Promise<ErasureProof> {
  const { countTenantRedis } = await import('@ai-agents/shared/tenant-redis');
  return {
    rows: await countTenantRows({ db: ctx.database.db, tenantId }),
    redis: await countTenantRedis(redis, queue, {
      prefix: ctx.config.queuePrefix,
      queueName: EVENTS_QUEUE,
      tenantId,
    }),
  };
}

function isEmpty(left: ErasureProof): boolean {
  return left.redis.jobs === 0 && left.redis.keys === 0 && Object.values(left.rows).every((n) => n === 0);
}

function printResult(ctx: AdminContext, result: ErasureResult): void {
  const deleted = Object.entries(result.rowsDeleted).filter(([, n]) => n > 0);
  const lines = [
    `Erasure of ${result.slug} (${result.tenantId}):`,
    `  rows erased (as counted when the erasure began): ${deleted.map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}`,
    `  removed by this run: ${result.redisJobsRemoved} queued or kept jobs, ${result.redisKeysDeleted} Redis keys`,
    'Left of the tenant (the proof):',
    ...Object.entries(result.left.rows).map(([table, n]) => `  ${table.padEnd(24)} ${n} rows`),
    `  ${'redis jobs'.padEnd(24)} ${result.left.redis.jobs}`,
    `  ${'redis keys'.padEnd(24)} ${result.left.redis.keys}`,
    ...(result.complete ? [`Tenant ${result.slug} is erased: nothing of it is left.`] : []),
  ];
  ctx.print(lines.join('\n'), {
    slug: result.slug,
    tenant_id: result.tenantId,
    complete: result.complete,
    rows_deleted: result.rowsDeleted,
    redis_jobs_removed: result.redisJobsRemoved,
    redis_keys_deleted: result.redisKeysDeleted,
    left: result.left,
  });
  if (!result.complete) {
    throw new AdminError(
      `tenant ${result.slug} is not fully erased (a worker still held one of its jobs, or wrote meanwhile); run the same command again`,
    );
  }
}
