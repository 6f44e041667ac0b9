import type { Db, Tx } from '../client.js';
import { sql } from '../orm.js';
import { feedback } from '../schema/feedback.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

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

/**
 * The tenant's feedback since `since` (all of it by default), under RLS. One vote per enhancement:
 * its latest counts (and only its comment shows), so answering again, or posting one link many
 * times, changes the verdict rather than adding to it. Counts and comments are two statements of one
 * transaction, so they agree.
 */
export async function summariseFeedback(
  scope: TenantScope,
  options: { since?: Date; comments?: number } = {},
): Promise<FeedbackSummary> {
  return inTenant(scope, 'transaction', (tx) => summarise(tx, options));
}

async function summarise(tx: Tx, options: { since?: Date; comments?: number }): Promise<FeedbackSummary> {
  const since = (options.since ?? new Date(0)).toISOString();
  const latest = sql`(
    select distinct on (enhancement_id) enhancement_id, helpful, comment, created_at
      from ${feedback}
     where created_at >= ${since}::timestamptz
     order by enhancement_id, created_at desc, id desc
  ) latest`;
  const counts = await tx.execute<{ total: number; helpful: number }>(
    sql`select count(*)::int as total, (count(*) filter (where helpful))::int as helpful from ${latest}`,
  );
  const comments = await tx.execute<{
    enhancement_id: string;
    helpful: boolean;
    comment: string;
    created_at: string | Date;
  }>(
    sql`select enhancement_id, helpful, comment, created_at from ${latest}
         where comment is not null order by created_at desc limit ${options.comments ?? 10}`,
  );
  const total = counts.rows[0]?.total ?? 0;
  const helpful = counts.rows[0]?.helpful ?? 0;
  return {
    total,
    helpful,
    notHelpful: total - helpful,
    notHelpfulRate: rate(total - helpful, total),
    comments: comments.rows.map((c) => ({
      enhancementId: c.enhancement_id,
      helpful: c.helpful,
      comment: c.comment,
      createdAt: new Date(c.created_at),
    })),
  };
}

export interface TenantFeedbackRate {
  slug: string;
  helpful: number;
  notHelpful: number;
  notHelpfulRate: number | null;
}

/**
 * The "not helpful" rate of every tenant since `since`: the metric. Not tenant-scoped: the metric
 * covers the installation, so it crosses tenants through the SECURITY DEFINER function
 * feedback_rates(), which returns counts only.
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
