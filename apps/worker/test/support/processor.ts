import { randomUUID } from 'node:crypto';
import { enhancements, withTenant } from '@ai-agents/db';
import type { FakeServiceDesk, Sandbox } from '@ai-agents/sandbox';
import { createLogger, ENHANCE_JOB, loadConfig } from '@ai-agents/shared';
import type { Job } from 'bullmq';
import { eq } from 'drizzle-orm';
import { createEnhanceDeps, type EnhanceWiring } from '../../src/enhance-deps.js';
import { type EnhanceDeps, processEnhanceTicket } from '../../src/processors/enhance-ticket.js';

/**
 * The processor as the worker wires it (createEnhanceDeps over the sandbox's configuration), called
 * directly instead of through the queue. No caches, so each test sees the portal as it set it up for
 * itself, and no alert-storm grouping: these tests send one subject many times on purpose.
 */
export function processorDeps(
  sandbox: Sandbox,
  env: Record<string, string> = {},
  wiring: Partial<EnhanceWiring> = {},
): EnhanceDeps {
  const config = loadConfig(
    {
      ...sandbox.env,
      KB_CACHE_TTL_MS: '0',
      TAXONOMY_CACHE_TTL_MS: '0',
      ALERT_STORM_DEDUPE: 'false',
      PUBLIC_BASE_URL: 'https://agents.msp.example',
      ...env,
    },
    'worker',
  );
  return createEnhanceDeps(config, {
    db: sandbox.database.db,
    logger: createLogger({ name: 'processor-test', level: 'silent' }),
    ...wiring,
  });
}

/**
 * Adds the ticket to the fake portal and runs the processor on its request.created event, as the
 * queue would on the first of three attempts; returns the notes on the ticket, the enhancement row
 * and what the processor threw, if anything.
 */
export async function tryEnhanceTicket(
  deps: EnhanceDeps,
  sdp: FakeServiceDesk,
  tenantId: string,
  ticket: { subject: string; description: string },
) {
  const request = sdp.addRequest(ticket);
  const eventId = `ev-${randomUUID()}`;
  const job = {
    id: eventId,
    data: { tenantId, event: 'request.created', eventId, requestId: request.id, receivedAt: Date.now() },
    attemptsMade: 0,
    opts: { attempts: 3 },
    name: ENHANCE_JOB,
  } as unknown as Job;
  const error = await processEnhanceTicket(job, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  const row = await withTenant(deps.db, tenantId, async (tx) => {
    const [r] = await tx.select().from(enhancements).where(eq(enhancements.eventId, eventId));
    return r;
  });
  const notes = sdp.notes(request.id);
  return { requestId: request.id, notes, html: notes[0]?.description ?? '', row, error };
}

/** As tryEnhanceTicket, for a ticket that must be enhanced: throws what the processor threw. */
export async function enhanceTicket(...args: Parameters<typeof tryEnhanceTicket>) {
  const { error, row, ...result } = await tryEnhanceTicket(...args);
  if (error) throw error;
  if (!row) throw new Error('The processor returned without recording the enhancement');
  return { ...result, row };
}
