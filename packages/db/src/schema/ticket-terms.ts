import { bigint, index, integer, pgTable, primaryKey, text, uuid } from '../orm.js';
import { tenants } from './tenants.js';

/*
 * The inverted index behind similar-ticket retrieval (Okapi BM25). Triggers on ticket_history keep
 * all three tables in step with every insert, update and delete (migration 0002), so every write
 * path — webhook, SDP backfill, CSV import — indexes the same way. Terms are the lexemes of
 * to_tsvector('english', subject || description): stemmed, stop words removed.
 */

/** One row per (ticket, term): how often the term occurs and the ticket's length, for BM25's tf part. */
export const ticketTerms = pgTable(
  'ticket_terms',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    term: text('term').notNull(),
    // ticket_history.id. No foreign key: the delete trigger must still see a deleted ticket's terms
    // to lower their document frequencies, and it removes them itself.
    historyId: uuid('history_id').notNull(),
    tf: integer('tf').notNull(),
    // Denormalised so scoring never reads ticket_history rows it will not return.
    docLength: integer('doc_length').notNull(),
  },
  (t) => [
    primaryKey({ name: 'ticket_terms_pkey', columns: [t.tenantId, t.term, t.historyId] }),
    index('ticket_terms_history_idx').on(t.historyId),
  ],
);

/** Document frequency of each term per tenant: BM25's idf part. */
export const ticketTermStats = pgTable(
  'ticket_term_stats',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    term: text('term').notNull(),
    df: integer('df').notNull(),
  },
  (t) => [primaryKey({ name: 'ticket_term_stats_pkey', columns: [t.tenantId, t.term] })],
);

/** Ticket count and total length per tenant: N and the average document length of BM25. */
export const ticketHistoryStats = pgTable('ticket_history_stats', {
  tenantId: uuid('tenant_id')
    .primaryKey()
    .references(() => tenants.id, { onDelete: 'cascade' }),
  docs: bigint('docs', { mode: 'number' }).notNull(),
  totalLength: bigint('total_length', { mode: 'number' }).notNull(),
});
