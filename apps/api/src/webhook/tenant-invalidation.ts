import { type Logger, parseTenantChange, tenantChangesChannel } from '@ai-agents/shared';
import type { RedisClient } from '@ai-agents/shared/redis';
import type { TenantAuth } from './tenant-auth.js';

/**
 * Subscribes this replica's slug cache to the operators' change notices (see tenant-invalidation.ts
 * in @ai-agents/shared). Returns a function that unsubscribes and closes the connection.
 */
export function subscribeTenantChanges(options: {
  /** A connection of its own: a subscribed ioredis connection can run no other command. */
  subscriber: RedisClient;
  prefix: string;
  tenantAuth: TenantAuth;
  logger: Logger;
}): () => Promise<void> {
  const { subscriber, tenantAuth, logger } = options;
  const channel = tenantChangesChannel(options.prefix);
  let subscribedOnce = false;
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const slug = parseTenantChange(message);
    if (slug === null) return;
    tenantAuth.invalidate(slug === '*' ? undefined : slug);
  });
  // ioredis resubscribes after a reconnect; notices sent meanwhile are lost, so forget everything.
  subscriber.on('ready', () => {
    if (subscribedOnce) tenantAuth.invalidate();
  });
  subscriber.on('error', () => {
    // The main connection reports Redis trouble; the TTL covers what this one misses.
  });
  subscriber
    .subscribe(channel)
    .then(() => {
      subscribedOnce = true;
    })
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'cannot subscribe to tenant changes; cached tenants expire by TTL'),
    );
  return async () => {
    await subscriber.quit().catch(() => subscriber.disconnect());
  };
}
