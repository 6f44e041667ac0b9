import { recordAudit } from '../audit/record.js';
import { eq, sql } from '../orm.js';
import { tenants } from '../schema/tenants.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** Settings an operator may change; undefined leaves a setting as it is. No secrets here. */
export interface TenantSettings {
  name?: string;
  /** null: back to the installation's LLM_MODEL. */
  llmModel?: string | null;
  /** The embeddings API model when EMBEDDER=openai; null: the installation's EMBEDDING_MODEL. */
  embeddingModel?: string | null;
  webhookTokenEnabled?: boolean;
  /** Accepted webhooks per minute; null: the installation's WEBHOOK_RATE_LIMIT_PER_MINUTE. */
  webhookRateLimitPerMinute?: number | null;
  // The LLM step's settings (`tenant llm`).
  /** Replace personal data by placeholders before text leaves for the LLM. */
  piiRedaction?: boolean;
  /** Write the suggested category/priority to the ticket when the model is confident enough. */
  autoApplySuggestions?: boolean;
  autoApplyMinConfidence?: number;
  /** Tokens (in + out) per calendar month (UTC); null: no budget. */
  monthlyTokenBudget?: number | null;
  budgetSoftLimitPercent?: number;
  /** null: the installation's LLM_BUDGET_MODEL. */
  budgetModel?: string | null;
  /** Solutions offered in notes: 'all', 'off', 'topics' (with the topics); null: the edition's default. */
  knowledgeBase?: 'all' | 'off' | 'topics' | null;
  knowledgeBaseTopics?: string[] | null;
  /** Days the text sent to the model and its answer are kept for `note show`; 0: never kept. */
  keepLlmIoDays?: number;
  /** 'auto' (the ticket's language) or a NOTE_LANGUAGES code; checked by the column's constraint. */
  noteLanguage?: string;
  /** The note's language when 'auto' cannot tell the ticket's. */
  defaultLanguage?: string;
  // Retention (`tenant retention`): null follows the installation's RETENTION_* default, 0 keeps for ever.
  retentionHistoryMonths?: number | null;
  retentionEnhancementDays?: number | null;
  retentionAuditDays?: number | null;
  retentionFeedbackCommentDays?: number | null;
}

/**
 * Applies the given settings and records them (old and new values) in the audit log. Returns null
 * when the tenant does not exist, otherwise the names of the settings whose value changed.
 */
export async function updateTenantSettings(
  scope: TenantScope,
  settings: TenantSettings,
  actor: string,
): Promise<string[] | null> {
  const { tenantId } = scope;
  return inTenant(scope, 'transaction', async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!before) return null;
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [key, value] of Object.entries(settings) as [keyof TenantSettings, unknown][]) {
      if (value !== undefined && !same(before[key], value)) changes[key] = { from: before[key], to: value };
    }
    const changed = Object.keys(changes);
    if (changed.length === 0) return [];
    await tx
      .update(tenants)
      .set({ ...settings, updatedAt: sql`now()` })
      .where(eq(tenants.id, tenantId));
    await recordAudit({ ...scope, tx }, { actor, action: 'tenant.updated', details: changes });
    return changed;
  });
}

/** Equal settings: the same value, or arrays (knowledge-base topics) with the same items in order. */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}
