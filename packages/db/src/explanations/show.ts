import type { Db } from '../client.js';
import { and, eq, inArray, sql } from '../orm.js';
import { enhancements } from '../schema/enhancements.js';
import { llmExchanges } from '../schema/llm-exchanges.js';
import { tenants } from '../schema/tenants.js';
import { ticketHistory } from '../schema/ticket-history.js';
import { inTenant, type TenantScope } from '../with-tenant.js';
import type { NoteExplanation } from './explanation.js';

/** Where a note reference (`ai-agents:<enhancement id>`, printed in every note) leads. */
export interface NoteOwner {
  tenantId: string;
  slug: string;
}

/**
 * The tenant of an enhancement, through note_owner() (migration 0016, SECURITY DEFINER): the
 * application role sees no enhancement outside a tenant's scope, and a note's reference names only
 * the enhancement. It answers the tenant's id and slug, nothing of the note. Null when unknown.
 */
export async function findNoteOwner(db: Db, enhancementId: string): Promise<NoteOwner | null> {
  const result = await db.execute<{ tenant_id: string; slug: string }>(
    sql`select tenant_id, slug from note_owner(${enhancementId}::uuid)`,
  );
  const row = result.rows[0];
  return row ? { tenantId: row.tenant_id, slug: row.slug } : null;
}

export interface NoteDetails {
  enhancementId: string;
  requestId: string;
  event: string;
  status: string;
  noteId: string | null;
  createdAt: Date;
  postedAt: Date | null;
  fallback: boolean;
  fallbackReason: string | null;
  model: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  latencyMs: number | null;
  promptVersion: string | null;
  language: string | null;
  budgetState: string | null;
  confidence: number | null;
  droppedCitations: number;
  stormLeaderId: string | null;
  /** Null for a note posted before explanations were recorded. */
  explanation: NoteExplanation | null;
  /** Subjects of the similar tickets still in the tenant's history (retention may have removed some). */
  subjects: Record<string, string>;
  /** How many days the tenant keeps model I/O (0: not kept). */
  keepLlmIoDays: number;
  exchange: {
    prompt: string;
    promptTruncated: boolean;
    answer: string | null;
    answerTruncated: boolean;
    createdAt: Date;
  } | null;
}

const SUBJECT_CHARS = 160;

/** One note of the tenant and what it was built from; null when the tenant has no such enhancement. */
export async function loadNoteDetails(
  scope: TenantScope,
  enhancementId: string,
): Promise<NoteDetails | null> {
  return inTenant(scope, 'transaction', async (tx) => {
    const [row] = await tx
      .select({ e: enhancements, keepLlmIoDays: tenants.keepLlmIoDays })
      .from(enhancements)
      .innerJoin(tenants, eq(tenants.id, enhancements.tenantId))
      .where(eq(enhancements.id, enhancementId));
    if (!row) return null;
    const { e } = row;
    const ids = (e.explanation?.similar ?? []).map((t) => t.id);
    const subjects =
      ids.length === 0
        ? []
        : await tx
            .select({
              id: ticketHistory.externalId,
              subject: sql<string>`left(${ticketHistory.subject}, ${SUBJECT_CHARS})`,
            })
            .from(ticketHistory)
            .where(and(eq(ticketHistory.tenantId, scope.tenantId), inArray(ticketHistory.externalId, ids)));
    const [exchange] = await tx
      .select()
      .from(llmExchanges)
      .where(eq(llmExchanges.enhancementId, enhancementId))
      .orderBy(sql`${llmExchanges.createdAt} desc`)
      .limit(1);
    return {
      enhancementId: e.id,
      requestId: e.sdpRequestId,
      event: e.event,
      status: e.status,
      noteId: e.noteId,
      createdAt: e.createdAt,
      postedAt: e.postedAt,
      fallback: e.fallback,
      fallbackReason: e.fallbackReason,
      model: e.model,
      tokensIn: e.tokensIn,
      tokensOut: e.tokensOut,
      costUsd: e.costUsd,
      latencyMs: e.latencyMs,
      promptVersion: e.promptVersion,
      language: e.language,
      budgetState: e.budgetState,
      confidence: e.confidence,
      droppedCitations: e.droppedCitations,
      stormLeaderId: e.stormLeaderId,
      explanation: e.explanation,
      subjects: Object.fromEntries(subjects.map((s) => [s.id, s.subject])),
      keepLlmIoDays: row.keepLlmIoDays,
      exchange: exchange
        ? {
            prompt: exchange.prompt,
            promptTruncated: exchange.promptTruncated,
            answer: exchange.answer,
            answerTruncated: exchange.answerTruncated,
            createdAt: exchange.createdAt,
          }
        : null,
    };
  });
}
