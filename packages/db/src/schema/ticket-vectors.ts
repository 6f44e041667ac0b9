import { customType, index, integer, pgTable, primaryKey, text, timestamp, uuid } from '../orm.js';
import { tenants } from './tenants.js';
import { ticketHistory } from './ticket-history.js';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/*
 * Similar tickets by meaning (issue 26; docs/context.md). Row-level security as on ticket_terms
 * (migration 0012): a tenant reads and writes only its own vectors and models.
 */

/**
 * One embedding per (tenant, history ticket, model id): the model id names the vector space, so a
 * change of model (or an LSA refit) writes new rows beside the old ones and retrieval keeps using the
 * old model, or BM25 alone, until the re-embedding is complete.
 */
export const ticketVectors = pgTable(
  'ticket_vectors',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    historyId: uuid('history_id')
      .notNull()
      .references(() => ticketHistory.id, { onDelete: 'cascade' }),
    modelId: text('model_id').notNull(),
    // float32 little-endian, `dimensions` of them: 400 bytes at k = 100, read back without parsing.
    vector: bytea('vector').notNull(),
  },
  (t) => [
    primaryKey({ name: 'ticket_vectors_pkey', columns: [t.tenantId, t.modelId, t.historyId] }),
    index('ticket_vectors_history_idx').on(t.historyId),
  ],
);

/** The tenant's embedding models: the current one is the newest row. An LSA model carries its fit. */
export const embeddingModels = pgTable(
  'embedding_models',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    modelId: text('model_id').notNull(),
    dimensions: integer('dimensions').notNull(),
    // History size at the fit: a refit is due when the history has grown by about a fifth.
    fittedOn: integer('fitted_on').notNull(),
    // The serialised LSA fit (vocabulary, idf, components); null for an embeddings API model.
    fit: bytea('fit'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'embedding_models_pkey', columns: [t.tenantId, t.modelId] })],
);
