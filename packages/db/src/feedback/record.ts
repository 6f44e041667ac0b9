import type { Tx } from '../client.js';
import { eq } from '../orm.js';
import { enhancements } from '../schema/enhancements.js';
import { feedback } from '../schema/feedback.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface NewFeedback {
  enhancementId: string;
  helpful: boolean;
  comment?: string | null;
  source: 'signed' | 'link';
}

/**
 * Records a verdict on one enhancement of the tenant. Returns null when the enhancement does not
 * exist for this tenant (row-level security hides other tenants' ids), so callers answer 404.
 * A transaction: the verdict is inserted only after the enhancement was found.
 */
export async function recordFeedback(scope: TenantScope, input: NewFeedback): Promise<{ id: string } | null> {
  return inTenant(scope, 'transaction', (tx) => insertFeedback(tx, scope.tenantId, input));
}

async function insertFeedback(tx: Tx, tenantId: string, input: NewFeedback): Promise<{ id: string } | null> {
  const [exists] = await tx
    .select({ id: enhancements.id })
    .from(enhancements)
    .where(eq(enhancements.id, input.enhancementId))
    .limit(1);
  if (!exists) return null;
  const [row] = await tx
    .insert(feedback)
    .values({
      tenantId,
      enhancementId: input.enhancementId,
      helpful: input.helpful,
      comment: input.comment?.trim() ? input.comment.trim() : null,
      source: input.source,
    })
    .returning({ id: feedback.id });
  if (!row) throw new Error('Feedback insert returned no row');
  return row;
}
