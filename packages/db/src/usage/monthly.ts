import { llmEndpointLabel, llmEndpointOf } from '@ai-agents/shared';
import type { Db } from '../client.js';
import { type AnyPgColumn, and, eq, gte, lt, sql } from '../orm.js';
import { embeddingUsage } from '../schema/embedding-usage.js';
import { enhancements } from '../schema/enhancements.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

/** The calendar month (UTC) holding `at`, as [from, to). Budgets and the usage report use this window. */
export function monthWindow(at: Date): { from: Date; to: Date } {
  const from = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const to = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { from, to };
}

/** Rows of the tenant created in [from, to), for a table with tenant_id and created_at. */
function ofTenantIn(table: { tenantId: AnyPgColumn; createdAt: AnyPgColumn }, tenantId: string, at: Date) {
  const { from, to } = monthWindow(at);
  return and(eq(table.tenantId, tenantId), gte(table.createdAt, from), lt(table.createdAt, to));
}

/**
 * Tokens the tenant used in the month of `at`: its enhancements' LLM tokens (in + out) and its
 * embeddings API tokens, one budget for both. Under RLS, in one statement.
 */
export async function monthlyTokensUsed(scope: TenantScope, at: Date = new Date()): Promise<number> {
  const result = await inTenant(scope, 'statement', (tx) => {
    const llm = tx
      .select({
        tokens: sql<string>`coalesce(sum(coalesce(${enhancements.tokensIn}, 0) + coalesce(${enhancements.tokensOut}, 0)), 0)`,
      })
      .from(enhancements)
      .where(ofTenantIn(enhancements, scope.tenantId, at));
    const embeddings = tx
      .select({ tokens: sql<string>`coalesce(sum(${embeddingUsage.tokens}), 0)` })
      .from(embeddingUsage)
      .where(ofTenantIn(embeddingUsage, scope.tenantId, at));
    // One statement (one round trip on the worker's hot path): the two sums as scalar subqueries.
    return tx.execute<{ tokens: string }>(sql`select (${llm}) + (${embeddings}) as tokens`);
  });
  return Number(result.rows[0]?.tokens ?? 0);
}

export interface TenantUsage {
  slug: string;
  name: string;
  enhancements: number;
  llmCalls: number;
  tokensIn: number;
  tokensOut: number;
  /** LLM and embeddings API together. */
  costUsd: number;
  embeddingTokens: number;
  embeddingCostUsd: number;
  /**
   * The endpoint that serves the tenant's notes now: "installation", or its own endpoint's kind and
   * host ("azure contoso.openai.azure.com"), never the key. A change within the month shows in the
   * audit log (`tenant.llm_endpoint_set`).
   */
  llmEndpoint: string;
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
    embedding_tokens: string;
    embedding_cost_usd: string;
    llm_endpoint: string | null;
    llm_base_url: string | null;
  }>(sql`select * from tenant_usage(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz)`);
  return result.rows.map((r) => ({
    slug: r.slug,
    name: r.name,
    enhancements: Number(r.enhancements),
    llmCalls: Number(r.llm_calls),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    costUsd: Number(r.cost_usd),
    embeddingTokens: Number(r.embedding_tokens),
    embeddingCostUsd: Number(r.embedding_cost_usd),
    // The function returns kind and base URL only (no Azure deployment, no key): enough for the label.
    llmEndpoint: llmEndpointLabel(
      llmEndpointOf({
        llmEndpoint: r.llm_endpoint,
        llmBaseUrl: r.llm_base_url,
        llmAzureDeployment: null,
        llmAzureApiVersion: null,
      }),
    ),
  }));
}
