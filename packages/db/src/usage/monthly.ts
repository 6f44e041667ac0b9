import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { enhancements } from '../schema/enhancements.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The calendar month (UTC) holding `at`, as [from, to). Budgets and the usage report use this window. */
export function monthWindow(at: Date): { from: Date; to: Date } {
  const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const to = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { from, to };
}

/** Tokens (in + out) the tenant's enhancements used in the month of `at`. Under RLS. */
export async function monthlyTokensUsed(scope: TenantScope, at: Date = new Date()): Promise<number> {
  const { from, to } = monthWindow(at);
  const [row] = await inTenant(scope, 'statement', (tx) =>
    tx
      .select({
        tokens: sql<string>`coalesce(sum(coalesce(${enhancements.tokensIn}, 0) + coalesce(${enhancements.tokensOut}, 0)), 0)`,
      })
      .from(enhancements)
      .where(
        and(
          eq(enhancements.tenantId, scope.tenantId),
          gte(enhancements.createdAt, from),
          lt(enhancements.createdAt, to),
        ),
      ),
  );
  return Number(row?.tokens ?? 0);
}

export interface TenantUsage {
  slug: string;
  name: string;
  enhancements: number;
  llmCalls: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/**
 * Every tenant's usage over [from, to), for billing. Not tenant-scoped: it is the installation's
 * report across tenants, so it goes through the SECURITY DEFINER function tenant_usage(), which
 * returns aggregates only.
 */
export async function tenantUsage(db: Db, from: Date, to: Date): Promise<TenantUsage[]> {
  const result = await db.execute<{
    slug: string;
    name: string;
    enhancements: string;
    llm_calls: string;
    tokens_in: string;
    tokens_out: string;
    cost_usd: string;
  }>(sql`select * from tenant_usage(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz)`);
  return result.rows.map((r) => ({
    slug: r.slug,
    name: r.name,
    enhancements: Number(r.enhancements),
    llmCalls: Number(r.llm_calls),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    costUsd: Number(r.cost_usd),
  }));
}
