import { index, integer, numeric, pgTable, text, timestamp, uuid } from '../orm.js';
import { tenants } from './tenants.js';

/**
 * Tokens a tenant's texts cost at an embeddings API (one row per API call that answered: a ticket's
 * query, or a batch of history being embedded). Counted with the LLM's tokens in the tenant's monthly
 * budget (monthlyTokensUsed) and in the usage report (tenant_usage()). Counts only, never text.
 */
export const embeddingUsage = pgTable(
  'embedding_usage',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    model: text('model').notNull(),
    tokens: integer('tokens').notNull(),
    // Null when the model has no price in LLM_PRICES. Ten decimals: one query costs ~USD 0.0000004.
    costUsd: numeric('cost_usd', { precision: 16, scale: 10, mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('embedding_usage_tenant_created_idx').on(t.tenantId, t.createdAt)],
);
