import { eq, sql } from '../orm.js';
import { connections } from '../schema/connections.js';
import { type ConnectionScope, inConnection } from '../with-tenant.js';

/** A connection's settings an operator may change; undefined leaves one as it is. No secrets here. */
export interface ConnectionSettings {
  name?: string;
  sdpBaseUrl?: string;
  webhookTokenEnabled?: boolean;
  /** ServiceDesk Plus calls per minute for the instance; null: SDP_RATE_LIMIT_PER_MINUTE. */
  sdpRateLimitPerMinute?: number | null;
}

/**
 * Applies the given settings; returns null when the connection does not exist, otherwise each
 * changed setting with its old and new value (for the caller's audit entries). updated_at moves,
 * so the workers rebuild the connection's client (a new portal URL reaches every tenant at once).
 */
export async function updateConnectionSettings(
  scope: ConnectionScope,
  settings: ConnectionSettings,
): Promise<Record<string, { from: unknown; to: unknown }> | null> {
  const { connectionId } = scope;
  return inConnection(scope, 'transaction', async (tx) => {
    const [before] = await tx
      .select()
      .from(connections)
      .where(eq(connections.id, connectionId))
      .for('update');
    if (!before) return null;
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [key, value] of Object.entries(settings) as [keyof ConnectionSettings, unknown][]) {
      if (value !== undefined && before[key] !== value) changes[key] = { from: before[key], to: value };
    }
    if (Object.keys(changes).length > 0) {
      await tx
        .update(connections)
        .set({ ...settings, updatedAt: sql`now()` })
        .where(eq(connections.id, connectionId));
    }
    return changes;
  });
}
