import { and, desc, gte, isNotNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client.js';
import { feedback } from '../schema/feedback.js';

export interface FeedbackSummary {
  total: number;
  helpful: number;
  notHelpful: number;
  /** notHelpful / total; null when there is no feedback yet. */
  notHelpfulRate: number | null;
  /** The latest comments, newest first. */
  comments: { enhancementId: string; helpful: boolean; comment: string; createdAt: Date }[];
}

function rate(notHelpful: number, total: number): number | null {
  return total === 0 ? null : notHelpful / total;
}

/** The current tenant's feedback since `since` (all of it by default). Under RLS. */
export async function summariseFeedback(
  tx: Tx,
  options: { since?: Date; comments?: number } = {},
): Promise<FeedbackSummary> {
  const since = options.since ?? new Date(0);
  const [counts] = await tx
    .select({
      total: sql<number>`count(*)::int`,
      helpful: sql<number>`(count(*) filter (where ${feedback.helpful}))::int`,
    })
    .from(feedback)
    .where(gte(feedback.createdAt, since));
  const comments = await tx
    .select({
      enhancementId: feedback.enhancementId,
      helpful: feedback.helpful,
      comment: feedback.comment,
      createdAt: feedback.createdAt,
    })
    .from(feedback)
    .where(and(gte(feedback.createdAt, since), isNotNull(feedback.comment)))
    .orderBy(desc(feedback.createdAt))
    .limit(options.comments ?? 10);
  const total = counts?.total ?? 0;
  const helpful = counts?.helpful ?? 0;
  return {
    total,
    helpful,
    notHelpful: total - helpful,
    notHelpfulRate: rate(total - helpful, total),
    comments: comments.map((c) => ({ ...c, comment: c.comment ?? '' })),
  };
}

export interface TenantFeedbackRate {
  slug: string;
  helpful: number;
  notHelpful: number;
  notHelpfulRate: number | null;
}

/**
 * The "not helpful" rate of every tenant since `since`: the metric. Crosses tenants through the
 * SECURITY DEFINER function feedback_rates(), which returns counts only.
 */
export async function notHelpfulRates(db: Db, since: Date): Promise<TenantFeedbackRate[]> {
  const result = await db.execute<{ slug: string; helpful: string; not_helpful: string }>(
    sql`select * from feedback_rates(${since.toISOString()}::timestamptz)`,
  );
  return result.rows.map((r) => {
    const helpful = Number(r.helpful);
    const notHelpful = Number(r.not_helpful);
    return { slug: r.slug, helpful, notHelpful, notHelpfulRate: rate(notHelpful, helpful + notHelpful) };
  });
}
