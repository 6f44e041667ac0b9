import {
  addHistory,
  advanceReconcileCursor,
  type Database,
  historyTexts,
  loadTenantAndClaim,
  markPosted,
  recordAudit,
  recordEmbeddingUsage,
  recordFeedback,
  recordLlmExchange,
  saveEmbeddingModel,
  saveImportCursor,
  saveTicketVectors,
  updateTenantSettings,
  upsertInventory,
} from '@ai-agents/db';
import { EVENTS_QUEUE, jobKindForEvent, tenantBacklogKey } from '@ai-agents/shared';
import { type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * A tenant's data in every tenant table, through the data operations the API and worker use: history
 * (and its search index), inventory, the backfill and reconcile cursors, an enhancement with its
 * note, feedback with a comment, audit entries. A table added later with a tenant_id gets its rows
 * here too, or the erasure test's "every tenant table holds rows" check fails.
 */
export async function seedTenantRows(database: Database, tenantId: string, tickets = 3): Promise<void> {
  const scope = { db: database.db, tenantId };
  await addHistory(
    scope,
    Array.from({ length: tickets }, (_, i) => ({
      externalId: String(1000 + i),
      subject: `Printer ${i} offline on floor ${i % 4}`,
      description: 'The spooler stops after a driver update',
      resolution: 'Restarted the spooler service',
      resolvedAt: new Date('2026-01-02T10:00:00Z'),
    })),
  );
  await seedEmbeddings(scope);
  await upsertInventory(scope, [{ hostname: 'PRN-01', ipAddress: '10.0.0.9', owner: 'Ana Lopez' }]);
  await saveImportCursor(scope, {
    since: '2025-01-01',
    nextStartIndex: 101,
    imported: 100,
    completed: false,
  });
  await advanceReconcileCursor(scope, new Date());
  const { claim } = await loadTenantAndClaim(scope, {
    eventId: 'ev-1',
    event: 'request.created',
    requestId: '77',
  });
  if (!claim) throw new Error('seedTenantRows: the tenant does not exist');
  await markPosted(
    scope,
    claim.id,
    { noteId: '9001', fallback: false, model: 'gpt-test', tokensIn: 10, tokensOut: 5, latencyMs: 40 },
    {
      actor: 'worker',
      action: 'enhancement.posted',
    },
  );
  // The model's input and output, kept because the tenant turned it on (`tenant llm --keep-llm-io`).
  await updateTenantSettings(scope, { keepLlmIoDays: 7 }, 'test');
  if (!(await recordLlmExchange(scope, claim.id, { prompt: 'Printer 0 offline', answer: '{"summary":"x"}' })))
    throw new Error('seedTenantRows: the model I/O was not kept');
  await recordFeedback(scope, {
    enhancementId: claim.id,
    helpful: false,
    comment: 'Wrong printer',
    source: 'link',
  });
  await recordAudit(scope, { actor: 'operator', action: 'tenant.checked' });
}

/** A fitted embedding model, the history's vectors under it, and one embeddings API bill. */
async function seedEmbeddings(scope: { db: Database['db']; tenantId: string }): Promise<void> {
  const modelId = 'lsa:test';
  await saveEmbeddingModel(scope, { modelId, dimensions: 2, fittedOn: 3, fit: Buffer.from([1, 2, 3]) });
  const history = await historyTexts(scope);
  await saveTicketVectors(
    scope,
    modelId,
    history.map((h) => ({ historyId: h.historyId, vector: new Float32Array([0.6, 0.8]) })),
  );
  await recordEmbeddingUsage(scope, { model: 'text-embedding-3-small', tokens: 12, costUsd: 0.00000024 });
}

/**
 * The tenant's Redis data: a waiting, a delayed and a failed job (BullMQ's own API), and one key of
 * each kind the code keeps per tenant (tenantKeyPatterns in packages/shared/src/tenant-redis-keys.ts,
 * whose own test checks those patterns against the code that builds the keys).
 */
/** A failed and a completed job of the tenant. Call for every tenant before any job waits. */
export async function seedFinishedJobs(redis: Redis, queue: Queue, prefix: string, tenantId: string) {
  const kind = jobKindForEvent('request.created');
  const job = (id: string) => ({
    tenantId,
    event: 'request.created',
    eventId: id,
    requestId: '77',
    receivedAt: Date.now(),
  });
  // A failed and a completed job, taken from the queue as a worker takes them (manual processing).
  const worker = new Worker(EVENTS_QUEUE, null, { connection: redis.duplicate(), prefix, autorun: false });
  for (const outcome of ['failed', 'completed'] as const) {
    const id = `${outcome}-${tenantId}`;
    await queue.add(kind, job(id), { jobId: id });
    const taken = await worker.getNextJob('seed');
    if (taken?.id !== id) throw new Error(`seedTenantRedis: took ${taken?.id}, not ${id}`);
    if (outcome === 'failed') await taken.moveToFailed(new Error('portal unreachable'), 'seed', false);
    else await taken.moveToCompleted({ posted: true }, 'seed', false);
  }
  await worker.close();
}

/** Waiting and delayed jobs of the tenant, and one key of each kind the code keeps per tenant. */
export async function seedTenantRedis(redis: Redis, queue: Queue, prefix: string, tenantId: string) {
  const kind = jobKindForEvent('request.created');
  const job = (id: string) => eventJob(tenantId, id);
  await queue.add(kind, job(`waiting-${tenantId}`), { jobId: `waiting-${tenantId}` });
  await queue.add(kind, job(`delayed-${tenantId}`), { jobId: `delayed-${tenantId}`, delay: 3_600_000 });
  const q = EVENTS_QUEUE;
  await redis.zadd(tenantBacklogKey(prefix, q, tenantId), Date.now(), `waiting-${tenantId}`);
  await redis.zadd(`${prefix}:${q}:fair:slots:${tenantId}`, Date.now(), 'job-1');
  await redis.zadd(`${prefix}:${q}:fair:llm:${tenantId}`, Date.now(), 'job-1');
  await redis.hset(`${prefix}:${q}:fair:breaker:${tenantId}`, 'state', 'open');
  await redis.hset(`${prefix}:ratelimit:sdp:${tenantId}`, 'tokens', '5');
  await redis.hset(`${prefix}:ratelimit:webhook:${tenantId}`, 'tokens', '5');
  await redis.hset(`${prefix}:ratelimit:feedback-link:${tenantId}:e1`, 'tokens', '5');
  await redis.set(`${prefix}:sdp-oauth:${tenantId}:c1:token`, 'encrypted-token');
  await redis.set(`${prefix}:sdp-note-wrapper:${tenantId}:https://sdp.example`, 'request');
}

function eventJob(tenantId: string, eventId: string) {
  return { tenantId, event: 'request.created', eventId, requestId: '77', receivedAt: Date.now() };
}
