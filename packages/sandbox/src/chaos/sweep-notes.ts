import { createDatabase, findEnhancementByEvent } from '@ai-agents/db';
import { deriveEventId } from '@ai-agents/shared';

/**
 * How many of the requests got their note from an investigation the reconcile sweep queued: the sweep
 * queues request.created under the event id derived from (tenant, request id) (sweptCreationJob),
 * which no webhook of the chaos run uses, so a posted enhancement under that id is the sweep's.
 * One indexed statement per request, as the application role under the tenant's row-level security.
 */
export async function notesBroughtBySweep(
  databaseUrl: string,
  tenantId: string,
  requestIds: string[],
): Promise<number> {
  const database = createDatabase({ url: databaseUrl, max: 2 });
  try {
    let posted = 0;
    for (const requestId of requestIds) {
      const eventId = deriveEventId(tenantId, 'request.created', requestId);
      const row = await findEnhancementByEvent({ db: database.db, tenantId }, eventId);
      if (row?.status === 'posted') posted++;
    }
    return posted;
  } finally {
    await database.close();
  }
}
