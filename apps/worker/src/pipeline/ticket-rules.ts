import { type Db, markFailed, markSkippedByRule, type TenantRow } from '@ai-agents/db';
import type { SdpRequest } from '@ai-agents/servicedesk';
import {
  decidingRule,
  type EventJob,
  type Logger,
  parseTicketRules,
  type SkipReason,
  type TicketDecision,
  TicketRulesError,
  ticketRuleMatcher,
} from '@ai-agents/shared';
import { UnrecoverableError } from 'bullmq';
import type { WorkerMetrics } from '../metrics.js';

/** A ticket the tenant's rules skipped: no note, no retrieval, no LLM call. */
export interface SkippedByRule {
  outcome: 'skipped_by_rule';
  reason: SkipReason;
  /** The deciding rule by its place in the document (decidingRule()), never the ticket's value. */
  rule: string;
}

interface RulesRun {
  tenant: TenantRow;
  claim: { id: string };
  data: EventJob;
  log: Logger;
}

/**
 * The tenant's rules (`tenant rules set`, docs/the-note.md "Which tickets get a note") on the fetched
 * request, before anything else reads it: a skipped ticket is recorded as `skipped` with its deciding
 * rule and an audit entry, and counted on tickets_skipped_total. Null: the ticket gets its note (also
 * when the tenant has no rules). Stored rules that no longer parse (written around the CLI) end the job
 * as failed rather than post a note a rule may forbid, e.g. to a requester who opted out.
 */
export async function skipByRules(
  deps: { db: Db; metrics?: WorkerMetrics },
  run: RulesRun,
  request: SdpRequest,
): Promise<SkippedByRule | null> {
  const decision = decide(run.tenant.rules, request);
  if (decision instanceof TicketRulesError) {
    const message = `the tenant's rules are invalid (${decision.message}); set them again with tenant rules set`;
    await markFailed({ db: deps.db, tenantId: run.tenant.id }, run.claim.id, message);
    throw new UnrecoverableError(message);
  }
  if (!decision.skip) return null;
  const rule = decidingRule(decision);
  const { data, tenant } = run;
  await markSkippedByRule({ db: deps.db, tenantId: tenant.id }, run.claim.id, rule, {
    actor: 'worker',
    action: 'ticket.skipped',
    details: { requestId: data.requestId, eventId: data.eventId, reason: decision.reason, rule },
  });
  deps.metrics?.observeSkipped(tenant.slug, decision.reason);
  run.log.info({ reason: decision.reason, rule }, "the tenant's rules skip this ticket; no note");
  return { outcome: 'skipped_by_rule', reason: decision.reason, rule };
}

function decide(stored: unknown, request: SdpRequest): TicketDecision | TicketRulesError {
  if (stored === null || stored === undefined) return { skip: false };
  try {
    return ticketRuleMatcher(parseTicketRules(stored))(request);
  } catch (error) {
    if (error instanceof TicketRulesError) return error;
    throw error;
  }
}
