import type { RedisClient } from './redis-client.js';
import { isCluster } from './redis-client.js';
import { type TenantKeyScope, tenantKeyCatchAll, tenantKeyPatterns } from './tenant-redis-keys.js';

/** What erasure needs of a BullMQ Queue (structural, so this package does not depend on BullMQ). */
/** Every state BullMQ 6 keeps a job in (a paused queue's jobs wait in `waiting`); `active` jobs are locked by a worker and removed by a re-run. */
const JOB_STATES = [
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'active',
  'failed',
  'completed',
] as const;

export interface TenantJobQueue {
  getJobs(
    types: (typeof JOB_STATES)[number][],
    start: number,
    end: number,
    asc?: boolean,
  ): Promise<({ id?: string; data: unknown } | undefined)[]>;
  /** BullMQ's Queue.remove(): 1 removed (its logs and its dedupe key with it), 0 locked by a worker. */
  remove(jobId: string): Promise<number>;
}

/** Jobs read per call: bounds memory for a queue of any size (each job's hash is read whole). */
const JOB_PAGE = 500;
/** Keys per SCAN step and per UNLINK. */
const SCAN_COUNT = 1_000;

export interface RedisErasure {
  jobsRemoved: number;
  /** Jobs of the tenant a worker holds right now: BullMQ refuses to remove them; re-run. */
  jobsLocked: number;
  keysDeleted: number;
}

/**
 * Deletes the tenant's Redis data: its BullMQ jobs in every state through BullMQ's own removal (so
 * the queue's lists, sets and dedupe keys stay consistent), then every key of tenantKeyPatterns().
 * Safe to re-run. A job's deduplication key outlives its job only when the job was already removed
 * (it then holds a hash of the tenant id and an event id, nothing else, and expires with its TTL).
 */
export async function eraseTenantRedis(
  redis: RedisClient,
  queue: TenantJobQueue,
  scope: TenantKeyScope,
): Promise<RedisErasure> {
  let jobsRemoved = 0;
  let jobsLocked = 0;
  for (const id of await tenantJobIds(queue, scope.tenantId)) {
    if ((await queue.remove(id)) === 1) jobsRemoved++;
    else jobsLocked++;
  }
  let keysDeleted = 0;
  for (const pattern of tenantKeyPatterns(scope)) {
    await scanKeys(redis, pattern, async (keys) => {
      keysDeleted += await unlinkEach(redis, keys);
    });
  }
  return { jobsRemoved, jobsLocked, keysDeleted };
}

/** The proof: the tenant's jobs left in the queue and every key left under the prefix naming it. */
export async function countTenantRedis(
  redis: RedisClient,
  queue: TenantJobQueue,
  scope: TenantKeyScope,
): Promise<{ jobs: number; keys: number }> {
  const jobs = (await tenantJobIds(queue, scope.tenantId)).length;
  let keys = 0;
  await scanKeys(redis, tenantKeyCatchAll(scope), async (found) => {
    keys += found.length;
  });
  return { jobs, keys };
}

/** Ids of the tenant's jobs in every state, read a page at a time (ids only are kept). */
export async function tenantJobIds(queue: TenantJobQueue, tenantId: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const state of JOB_STATES) {
    for (let start = 0; ; start += JOB_PAGE) {
      const page = await queue.getJobs([state], start, start + JOB_PAGE - 1, true);
      for (const job of page) {
        if (job?.id && jobTenant(job.data) === tenantId) ids.add(job.id);
      }
      if (page.length < JOB_PAGE) break;
    }
  }
  return [...ids];
}

function jobTenant(data: unknown): unknown {
  return typeof data === 'object' && data !== null ? (data as { tenantId?: unknown }).tenantId : undefined;
}

/** SCAN MATCH over every master (a cluster spreads keys over nodes), a page of keys at a time. */
async function scanKeys(
  redis: RedisClient,
  pattern: string,
  onKeys: (keys: string[]) => Promise<void>,
): Promise<void> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (keys.length > 0) await onKeys(keys);
    } while (cursor !== '0');
  }
}

/** UNLINK key by key: in a cluster the keys of one page may sit in different slots. */
async function unlinkEach(redis: RedisClient, keys: string[]): Promise<number> {
  let deleted = 0;
  for (const key of keys) deleted += await redis.unlink(key);
  return deleted;
}
