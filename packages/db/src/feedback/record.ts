import { eq } from 'drizzle-orm';
import type { Tx } from '../client.js';
import { enhancements } from '../schema/enhancements.js';
import { feedback } from '../schema/feedback.js';

export interface NewFeedback {
  tenantId: string;
  enhancementId: string;
  helpful: boolean;
  comment?: string | null;
  source: 'signed' | 'link';
}

/**
 * Records a verdict on one enhancement of the current tenant. Returns null when the enhancement does
 * not exist for this tenant (row-level security hides other tenants' ids), so callers answer 404.
 */
export async function recordFeedback(tx: Tx, input: NewFeedback): Promise<{ id: string } | null> {
  const [exists] = await tx
    .select({ id: enhancements.id })
    .from(enhancements)
    .where(eq(enhancements.id, input.enhancementId))
    .limit(1);
  if (!exists) return null;
  const [row] = await tx
    .insert(feedback)
    .values({
      tenantId: input.tenantId,
      enhancementId: input.enhancementId,
      helpful: input.helpful,
      comment: input.comment?.trim() ? input.comment.trim() : null,
      source: input.source,
    })
    .returning({ id: feedback.id });
  if (!row) throw new Error('Feedback insert returned no row');
  return row;
}
