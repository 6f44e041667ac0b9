import { embeddingUsage } from '../schema/embedding-usage.js';
import { inTenant, type TenantScope } from '../with-tenant.js';

export interface EmbeddingUsageEntry {
  model: string;
  tokens: number;
  /** Null when the model has no price. */
  costUsd: number | null;
}

/** Records what one embeddings API call cost the tenant (monthlyTokensUsed and tenant_usage() count it). Under RLS. */
export async function recordEmbeddingUsage(scope: TenantScope, entry: EmbeddingUsageEntry): Promise<void> {
  await inTenant(scope, 'statement', (tx) =>
    tx.insert(embeddingUsage).values({
      tenantId: scope.tenantId,
      model: entry.model,
      tokens: entry.tokens,
      costUsd: entry.costUsd,
    }),
  );
}
