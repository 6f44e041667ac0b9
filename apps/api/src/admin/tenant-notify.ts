import { tenantChangeMessage, tenantChangesChannel } from '@ai-agents/shared';
import type { AdminContext } from './context.js';

/**
 * Tells every API replica to drop `slug` from its cache now (see tenant-invalidation.ts in
 * @ai-agents/shared), so a disabled tenant or a retired secret stops working at once. Needs the
 * CLI's REDIS_URL; without it, or when Redis does not answer, the change still takes effect within
 * TENANT_CACHE_TTL_MS, and the command says so on stderr when Redis was configured but failed.
 */
export async function notifyTenantChanged(ctx: AdminContext, slug: string): Promise<void> {
  if (!ctx.config.redisUrl) return;
  const { createRedisClient } = await import('@ai-agents/shared/redis');
  const connection = createRedisClient(
    { redisUrl: ctx.config.redisUrl, redisMode: ctx.config.redisMode },
    {
      maxRetriesPerRequest: 1,
      connectTimeout: 3_000,
      retryStrategy: (attempt) => (attempt > 2 ? null : 300),
    },
  );
  connection.on('error', () => {
    // Reported below, once.
  });
  try {
    await connection.publish(tenantChangesChannel(ctx.config.queuePrefix), tenantChangeMessage(slug));
  } catch {
    process.stderr.write(
      `warning: could not notify the API through Redis; the change takes effect within TENANT_CACHE_TTL_MS\n`,
    );
  } finally {
    await connection.quit().catch(() => connection.disconnect());
  }
}
